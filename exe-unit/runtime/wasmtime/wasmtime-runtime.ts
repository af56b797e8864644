// The "wasmtime" runtime (Golem's name for its WASI runtime): the task package
// is one WASI preview1 module; each run instantiates it afresh in a worker
// thread with /work (the activity's work directory) as its only preopen; an
// activity granted a dataset also sees it read-only at /data, and /out, the
// one directory whose files may leave it.
// Usage is exact after each run; during a run the worker's CPU time is
// measured in the background, so long runs show their progress.
import { mkdir, readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { DATA_MOUNT, OUTPUT_MOUNT } from '../../custody.ts'
import { ExeUnitError, errorMessage } from '../../errors.ts'
import { storageLimitMessage } from '../../usage/disk-usage.ts'
import { UsageSampler } from '../../usage/usage-sampler.ts'
import type { HostLocation, OutputSinks, RunOutcome, RunRequest, Runtime, RuntimeContext, RuntimeFactory, RuntimeUsage } from '../runtime.ts'
import { capModuleMemory } from './memory-cap.ts'
import type { RunJob, WorkerMessage } from './protocol.ts'
import { wasm } from './wasm-api.ts'
import type { WasmModule } from './wasm-api.ts'
import { WasiWorkerPool } from './worker-pool.ts'
import type { PooledWorker, WorkerPoolOptions } from './worker-pool.ts'

export const WASMTIME = 'wasmtime'
const WORK_MOUNT = '/work'
const WASI_MODULE = 'wasi_snapshot_preview1'
/** Output a worker may have posted that the runtime has not handled yet. */
const MAX_OUTPUT_IN_FLIGHT = 4 * 1024 * 1024

const POOL: WorkerPoolOptions = { idle: 1, maxIdle: 8, idleTimeoutMs: 30_000, heapMb: 64, runsPerWorker: 100 }

export class WasmtimeRuntimeFactory implements RuntimeFactory {
  readonly name = WASMTIME
  readonly #pool = new WasiWorkerPool(POOL)

  create(context: RuntimeContext): Runtime {
    // Workers start with the first activity, not with the daemon: an idle
    // provider holds no thread, and deploy gives the worker time to boot.
    this.#pool.warm()
    return new WasmtimeRuntime(context, this.#pool)
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }
}

class WasmtimeRuntime implements Runtime {
  readonly name = WASMTIME
  readonly #context: RuntimeContext
  readonly #pool: WasiWorkerPool
  readonly #workDir: string
  /** Guest path → host directory, the longest first; the dataset's own is read-only. */
  readonly #mounts: { guestPath: string; hostDir: string; readOnly: boolean }[]
  #module: WasmModule | undefined
  #initialMemoryBytes = 0
  #cpuMicros = 0
  #peakMemoryBytes = 0
  /** The run in progress: its worker and that worker's CPU time when it began. */
  #current: { pooled: PooledWorker; cpuBefore: number } | undefined
  readonly #usage: UsageSampler

  constructor(context: RuntimeContext, pool: WasiWorkerPool) {
    this.#context = context
    this.#pool = pool
    this.#workDir = join(context.activityDir, 'work')
    this.#mounts = [{ guestPath: WORK_MOUNT, hostDir: this.#workDir, readOnly: false }]
    if (context.custody !== undefined) {
      this.#mounts.push(
        { guestPath: DATA_MOUNT, hostDir: context.custody.dataDir, readOnly: true },
        { guestPath: OUTPUT_MOUNT, hostDir: join(context.activityDir, 'out'), readOnly: false }
      )
    }
    this.#usage = new UsageSampler(
      async () => await this.#measureUsage(),
      { clock: context.clock, logger: context.logger.child({ component: 'exe-unit:wasmtime-usage', activityId: context.activityId }) },
      { intervalMs: context.usageSampleMs }
    )
  }

  async deploy(signal: AbortSignal): Promise<void> {
    const path = await this.#context.packages.fetch(this.#context.taskPackage, signal)
    const capped = capModuleMemory(await readFile(path), this.#context.resources.memoryBytes)
    let module: WasmModule
    try {
      module = await wasm.compile(capped.bytes)
    } catch (error) {
      throw new ExeUnitError('BadRequest', `task package is not a valid WebAssembly module: ${errorMessage(error)}`)
    }
    for (const entry of wasm.Module.imports(module)) {
      if (entry.module !== WASI_MODULE || entry.kind !== 'function') {
        throw new ExeUnitError('BadRequest', `the module imports ${entry.kind} ${entry.module}.${entry.name}; only WASI preview1 functions are provided`)
      }
    }
    const exports = wasm.Module.exports(module)
    if (!exports.some(entry => entry.name === '_start' && entry.kind === 'function')) {
      throw new ExeUnitError('BadRequest', 'the module exports no _start function (a WASI command is expected)')
    }
    if (!exports.some(entry => entry.name === 'memory' && entry.kind === 'memory')) {
      throw new ExeUnitError('BadRequest', 'the module exports no memory')
    }
    for (const mount of this.#mounts) if (!mount.readOnly) await mkdir(mount.hostDir, { recursive: true })
    this.#module = module
    this.#initialMemoryBytes = capped.initialBytes
  }

  async start(): Promise<void> {
    // Each run instantiates the module anew; there is no long-lived process to start.
    this.#usage.start()
  }

  async run(request: RunRequest, output: OutputSinks, signal: AbortSignal): Promise<RunOutcome> {
    if (this.#module === undefined) throw new Error('the module is not deployed')
    const job: RunJob = {
      module: this.#module,
      args: [request.entryPoint, ...request.args],
      // A module sees no variables but those the command names.
      env: request.env,
      preopens: Object.fromEntries(this.#mounts.map(mount => [mount.guestPath, mount.hostDir])),
      readOnly: this.#mounts.filter(mount => mount.readOnly).map(mount => mount.guestPath),
      inFlight: new SharedArrayBuffer(4),
      maxInFlightBytes: MAX_OUTPUT_IN_FLIGHT,
      // The activity's directory holds every place the module writes to (/work, /out).
      storage: { root: this.#context.activityDir, limitBytes: this.#context.resources.storageBytes }
    }
    const pooled = this.#pool.acquire()
    const cpuBefore = await cpuMicros(pooled)
    this.#current = { pooled, cpuBefore }
    let run: WorkerRun
    try {
      run = await runInWorker(pooled, job, output, request.timeoutMs, signal)
    } finally {
      this.#current = undefined
    }
    const { outcome, clean, memoryBytes, storageExceeded } = run
    this.#cpuMicros += Math.max(0, (await cpuMicros(pooled)) - cpuBefore)
    this.#peakMemoryBytes = Math.max(this.#peakMemoryBytes, memoryBytes ?? this.#initialMemoryBytes)
    this.#pool.release(pooled, clean)
    if (storageExceeded === true) {
      // The module may have carried on (or exited 0) after its write failed: the result still says why.
      const failure = storageLimitMessage(this.#context.resources.storageBytes, 'a write to /work was refused (ENOSPC)')
      return { exitCode: outcome.exitCode, failure: outcome.failure === undefined ? failure : `${outcome.failure}; ${failure}` }
    }
    if (outcome.failure !== undefined && memoryBytes !== undefined && outcome.exitCode === -1) {
      const limit = this.#context.resources.memoryBytes
      if (memoryBytes + 16 * 1024 * 1024 >= limit) {
        outcome.failure += ` (memory ${mib(memoryBytes)} MiB of the ${mib(limit)} MiB limit: out of memory?)`
      }
    }
    return outcome
  }

  hostLocation(containerPath: string): HostLocation | null {
    const path = posix.normalize(containerPath)
    const mount = this.#mounts.find(m => path === m.guestPath || path.startsWith(`${m.guestPath}/`))
    if (mount === undefined) return null
    return { root: mount.hostDir, path: join(mount.hostDir, path.slice(mount.guestPath.length)) }
  }

  usage(): RuntimeUsage {
    // Finished runs are counted exactly; the sampler adds what a run in progress has used so far.
    const sampled = this.#usage.latest()
    return { cpuSec: Math.max(sampled.cpuSec, this.#cpuMicros / 1e6), peakMemoryBytes: Math.max(sampled.peakMemoryBytes, this.#peakMemoryBytes) }
  }

  async finalUsage(): Promise<RuntimeUsage> {
    await this.#usage.finish()
    return this.usage()
  }

  async #measureUsage(): Promise<RuntimeUsage> {
    // Both read before waiting: a run that ends meanwhile adds its own CPU time to #cpuMicros, not twice.
    const current = this.#current
    const finished = this.#cpuMicros
    const running = current === undefined ? 0 : Math.max(0, (await cpuMicros(current.pooled)) - current.cpuBefore)
    return { cpuSec: (finished + running) / 1e6, peakMemoryBytes: this.#peakMemoryBytes }
  }

  async terminate(): Promise<void> {
    this.#module = undefined
    await this.#usage.stop()
  }
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024)
}

async function cpuMicros(pooled: PooledWorker): Promise<number> {
  try {
    const usage = await pooled.worker.cpuUsage()
    return usage.user + usage.system
  } catch {
    return 0
  }
}

interface WorkerRun {
  outcome: RunOutcome
  /** Whether the worker may serve another run. */
  clean: boolean
  memoryBytes?: number
  storageExceeded?: boolean
}

function runInWorker(pooled: PooledWorker, job: RunJob, output: OutputSinks, timeoutMs: number, signal: AbortSignal): Promise<WorkerRun> {
  const { worker } = pooled
  const inFlight = new Int32Array(job.inFlight)
  return new Promise<WorkerRun>(resolve => {
    let settled = false
    const finish = (result: WorkerRun): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      resolve(result)
    }
    const kill = (failure: string): void => {
      // A module stuck in a loop never yields: only ending its thread stops it.
      finish({ outcome: { exitCode: -1, failure }, clean: false })
    }
    const onMessage = (message: WorkerMessage): void => {
      switch (message.type) {
        case 'output':
          output[message.stream](message.data)
          Atomics.sub(inFlight, 0, message.data.byteLength)
          Atomics.notify(inFlight, 0)
          return
        case 'exit':
          finish({ outcome: { exitCode: message.code }, clean: true, memoryBytes: message.memoryBytes, storageExceeded: message.storageExceeded })
          return
        case 'trap':
          finish({
            outcome: { exitCode: -1, failure: `the module trapped: ${message.message}` },
            clean: true,
            memoryBytes: message.memoryBytes,
            storageExceeded: message.storageExceeded
          })
      }
    }
    const onError = (error: Error): void => {
      const code = (error as NodeJS.ErrnoException).code
      kill(code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory: the run exceeded its heap limit' : `the WASI worker failed: ${error.message}`)
    }
    const onExit = (): void => kill('the WASI worker stopped unexpectedly')
    const onAbort = (): void => kill(`aborted: ${errorMessage(signal.reason)}`)
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs / 1000} s`), timeoutMs)
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage(job)
  })
}
