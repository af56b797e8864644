// The "vm" runtime: one container per activity on a Docker engine. deploy
// creates the container (no network unless granted; memory, CPU and pid
// limits; the work directory and the image's volumes bound from the activity's
// directory), start starts it, each run is a `docker exec` with its output
// demultiplexed as it comes, and terminate removes the container. The volumes'
// disk use is watched while a command runs (see storage-watch.ts). Usage is
// measured by Docker's stats call in the background, from start to the end,
// and again after each command; reading it serves the last measurement.
import { mkdir } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { Writable } from 'node:stream'
import type { Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { DATA_MOUNT, OUTPUT_MOUNT } from '../../custody.ts'
import { ExeUnitError, errorMessage } from '../../errors.ts'
import type { HostLocation, OutputSinks, RunOutcome, RunRequest, Runtime, RuntimeContext, RuntimeFactory, RuntimeUsage } from '../runtime.ts'
import { RuntimeLostError } from '../runtime.ts'
import { containerOptions } from './container-options.ts'
import type { Mount } from './container-options.ts'
import { ImageLoader, VM_OFFER_PROPERTIES } from './image-loader.ts'
import type { ImageLoaderOptions } from './image-loader.ts'
import { killProcessTree } from './kill-process-tree.ts'
import { LABEL_NODE } from './labels.ts'
import { OomWatch } from './oom-watch.ts'
import { watchStorage } from './storage-watch.ts'
import { diskUsage, storageLimitMessage } from '../../usage/disk-usage.ts'
import { UsageSampler } from '../../usage/usage-sampler.ts'

export const VM = 'vm'
const WORK_MOUNT = '/work'
/** Exit code of a process killed by SIGKILL, as the OOM killer does. */
const SIGKILL_EXIT = 137

export interface VmRuntimeOptions {
  docker: Docker
  nodeId: string
  /** Bounds on GVMI packages and the unsquashfs that unpacks them. */
  images?: ImageLoaderOptions
}

export class VmRuntimeFactory implements RuntimeFactory {
  readonly name = VM
  readonly offerProperties = VM_OFFER_PROPERTIES
  readonly #docker: Docker
  readonly #nodeId: string
  readonly #images: ImageLoader
  readonly #oom = new OomWatch()

  constructor(options: VmRuntimeOptions) {
    this.#docker = options.docker
    this.#nodeId = options.nodeId
    this.#images = new ImageLoader(options.docker, options.images)
  }

  /** Checks the engine answers, removes this node's leftover containers and watches OOM events. */
  async recover(): Promise<void> {
    await this.#docker.ping()
    // By the label's key, compared in any case: containers an earlier version left carry the checksum form of the id.
    const labelled = await this.#docker.listContainers({ all: true, filters: { label: [LABEL_NODE] } })
    const leftovers = labelled.filter(info => info.Labels[LABEL_NODE]?.toLowerCase() === this.#nodeId.toLowerCase())
    await Promise.all(
      leftovers.map(async info => {
        await this.#docker.getContainer(info.Id).remove({ force: true, v: true }).catch(ignoreMissing)
      })
    )
    await this.#watchOom()
  }

  async probe(): Promise<void> {
    await this.#docker.ping()
  }

  /** The engine answers again: its event stream is opened anew (the old one ended with the engine). */
  async reconnect(): Promise<void> {
    await this.#docker.ping()
    await this.#watchOom()
  }

  async #watchOom(): Promise<void> {
    this.#oom.stop()
    await this.#oom.start(this.#docker, this.#nodeId)
  }

  create(context: RuntimeContext): Runtime {
    return new VmRuntime(context, this.#docker, this.#images, this.#oom)
  }

  async close(): Promise<void> {
    this.#oom.stop()
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error
}

class VmRuntime implements Runtime {
  readonly name = VM
  readonly #context: RuntimeContext
  readonly #docker: Docker
  readonly #images: ImageLoader
  readonly #oom: OomWatch
  #container: Docker.Container | undefined
  #mounts: Mount[] = []
  #terminated = false
  readonly #usage: UsageSampler

  constructor(context: RuntimeContext, docker: Docker, images: ImageLoader, oom: OomWatch) {
    this.#context = context
    this.#docker = docker
    this.#images = images
    this.#oom = oom
    this.#usage = new UsageSampler(
      async () => await this.#measureUsage(),
      { clock: context.clock, logger: context.logger.child({ component: 'exe-unit:vm-usage', activityId: context.activityId }) },
      { intervalMs: context.usageSampleMs }
    )
  }

  async deploy(signal: AbortSignal): Promise<void> {
    const { ref, info } = await this.#images.resolve(this.#context.taskPackage, this.#context.packages, signal)
    const mounts: Mount[] = [{ target: WORK_MOUNT, source: join(this.#context.activityDir, 'work') }]
    const { custody } = this.#context
    // A granted dataset: read-only at /data, results in /out; an image's volume cannot take either place
    // nor lie inside /data (Docker would make its mount point in the owner's snapshot).
    const reserved = custody === undefined ? [WORK_MOUNT] : [WORK_MOUNT, DATA_MOUNT, OUTPUT_MOUNT]
    const taken = (path: string): boolean => reserved.includes(path) || (custody !== undefined && path.startsWith(`${DATA_MOUNT}/`))
    if (custody !== undefined) {
      mounts.push({ target: DATA_MOUNT, source: custody.dataDir, readOnly: true }, { target: OUTPUT_MOUNT, source: join(this.#context.activityDir, 'out') })
    }
    Object.keys(info.Config?.Volumes ?? {}).forEach((target, index) => {
      const path = posix.normalize(target)
      if (!taken(path)) mounts.push({ target: path, source: join(this.#context.activityDir, 'volumes', String(index)) })
    })
    for (const mount of mounts) if (mount.readOnly !== true) await mkdir(mount.source, { recursive: true })
    signal.throwIfAborted()
    const container = await this.#docker.createContainer(
      containerOptions({
        image: ref,
        imageHasCommand: (info.Config?.Cmd?.length ?? 0) > 0 || (info.Config?.Entrypoint?.length ?? 0) > 0,
        context: this.#context,
        mounts
      })
    )
    this.#container = container
    this.#mounts = mounts
    // A destroy that raced with creation must not leave the container behind.
    if (this.#terminated || signal.aborted) await this.terminate()
  }

  async start(): Promise<void> {
    const container = this.#requireContainer()
    await container.start()
    const state = (await container.inspect()).State
    if (!state.Running) throw new ExeUnitError('BadRequest', `the container stopped right after start (exit code ${state.ExitCode})`)
    this.#usage.start()
  }

  async run(request: RunRequest, output: OutputSinks, signal: AbortSignal): Promise<RunOutcome> {
    try {
      return await this.#run(request, output, signal)
    } finally {
      // What the command used shows in the next reading, without making its result wait for Docker's stats.
      this.#usage.soon()
    }
  }

  async #run(request: RunRequest, output: OutputSinks, signal: AbortSignal): Promise<RunOutcome> {
    const container = this.#requireContainer()
    let exec: Docker.Exec
    try {
      exec = await container.exec({
        Cmd: [request.entryPoint, ...request.args],
        // Added to the container's environment (the image's Env) for this command only.
        Env: Object.entries(request.env).map(([name, value]) => `${name}=${value}`),
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: false,
        Tty: false
      })
    } catch (error) {
      if (!(await this.#running())) throw new RuntimeLostError('the container is no longer running', { cause: error })
      throw error
    }
    const oomBefore = this.#oom.count(container.id)
    const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Duplex
    const limit = this.#context.resources.storageBytes
    const usedBefore = await diskUsage(this.#context.activityDir)
    const storage = watchStorage(this.#context.activityDir, limit)
    let stop: string | null
    try {
      stop = await demux(this.#docker, stream, output, request.timeoutMs, AbortSignal.any([signal, storage.signal]))
    } finally {
      storage.stop()
    }
    const full = storageLimitMessage(limit, 'the command was stopped')
    if (stop !== null) {
      await this.#kill(exec, container)
      return { exitCode: -1, failure: storage.signal.aborted ? full : stop }
    }
    // What the command left after its last measurement counts too.
    const usedAfter = await diskUsage(this.#context.activityDir)
    if (usedAfter > limit && usedAfter > usedBefore) return { exitCode: -1, failure: storageLimitMessage(limit, 'the command wrote past it') }
    const { ExitCode: exitCode } = await exec.inspect()
    if (exitCode === null) return { exitCode: -1, failure: 'the command output ended before the command did' }
    if (exitCode === SIGKILL_EXIT && (await this.#oom.happened(container.id, oomBefore, 500))) {
      const limit = Math.round(this.#context.resources.memoryBytes / 1024 / 1024)
      return { exitCode, failure: `out of memory: the command was killed at the container's ${limit} MiB limit` }
    }
    return { exitCode }
  }

  hostLocation(containerPath: string): HostLocation | null {
    const path = posix.normalize(containerPath)
    const mount = this.#mounts
      .filter(m => path === m.target || path.startsWith(m.target.endsWith('/') ? m.target : `${m.target}/`))
      .sort((a, b) => b.target.length - a.target.length)[0]
    if (mount === undefined) return null
    return { root: mount.source, path: join(mount.source, path.slice(mount.target.length)) }
  }

  usage(): RuntimeUsage {
    return this.#usage.latest()
  }

  async finalUsage(): Promise<RuntimeUsage> {
    return await this.#usage.finish()
  }

  /** One Docker stats reading (the sampler keeps the highest values seen). */
  async #measureUsage(): Promise<RuntimeUsage> {
    const container = this.#container
    if (container === undefined || this.#terminated) return this.#usage.latest()
    const stats = await container.stats({ stream: false, 'one-shot': true })
    // cgroup v1 reports the peak; v2 only the current use, so the peak is the highest seen.
    return {
      cpuSec: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
      peakMemoryBytes: stats.memory_stats?.max_usage ?? stats.memory_stats?.usage ?? 0
    }
  }

  async terminate(): Promise<void> {
    this.#terminated = true
    await this.#usage.stop()
    const container = this.#container
    if (container === undefined) return
    this.#container = undefined
    await container.remove({ force: true, v: true }).catch(ignoreMissing)
    this.#oom.forget(container.id)
  }

  #requireContainer(): Docker.Container {
    if (this.#container === undefined) throw new Error('the container is not deployed')
    return this.#container
  }

  async #running(): Promise<boolean> {
    try {
      return (await this.#requireContainer().inspect()).State.Running
    } catch {
      return false
    }
  }

  /** Kills a timed-out or aborted command; restarts the container when that fails. */
  async #kill(exec: Docker.Exec, container: Docker.Container): Promise<void> {
    const { Pid: pid, Running: running } = await exec.inspect().catch(() => ({ Pid: 0, Running: false }))
    if (!running) return
    if (pid > 0 && (await killProcessTree(pid))) {
      for (let i = 0; i < 20; i++) {
        if (!(await exec.inspect().catch(() => ({ Running: false }))).Running) return
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    await container.restart({ t: 0 }).catch(() => {})
  }
}

/**
 * Feeds the exec's multiplexed stream into the sinks until it ends. Returns
 * null when it ended by itself, or why it was cut short.
 */
function demux(docker: Docker, stream: Duplex, output: OutputSinks, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  return new Promise(resolve => {
    const sink = (write: (chunk: Uint8Array) => void): Writable =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          write(chunk)
          callback()
        }
      })
    docker.modem.demuxStream(stream, sink(output.stdout), sink(output.stderr))
    let settled = false
    const finish = (reason: string | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (reason !== null) stream.destroy()
      resolve(reason)
    }
    const onAbort = (): void => finish(`aborted: ${errorMessage(signal.reason)}`)
    const timer = setTimeout(() => finish(`timed out after ${timeoutMs / 1000} s`), timeoutMs)
    stream.once('end', () => finish(null))
    stream.once('close', () => finish(null))
    stream.once('error', error => finish(`the command's output stream failed: ${error.message}`))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
}
