// Runs WASI modules in a worker thread, one job at a time. stdout and stderr
// writes are forwarded to the parent as they happen; stdin reads nothing; the
// module sees only the preopened directories it is given, writes to them fail
// with ENOSPC once the activity's storage limit is reached, and those given
// read-only (a dataset) refuse every write (read-only.ts).
import { openSync } from 'node:fs'
import { WASI } from 'node:wasi'
import { parentPort } from 'node:worker_threads'
import type { RunJob, WorkerMessage } from './protocol.ts'
import { wasm } from './wasm-api.ts'
import type { WasmMemory } from './wasm-api.ts'
import { StorageBudget } from './storage-budget.ts'
import { readOnlyFds } from './read-only.ts'

const ERRNO_SUCCESS = 0
const ERRNO_FAULT = 21
const ERRNO_NOSPC = 51
/** path_open's oflags bit that creates a file. */
const OFLAGS_CREAT = 1
/** node:wasi numbers the preopens from 3, in the order they are given. */
const FIRST_PREOPEN_FD = 3
const devNull = openSync('/dev/null', 'r+')

type WasiFunction = (...args: number[]) => number

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer)
}

function run(job: RunJob): WorkerMessage {
  // Nothing reaches the process's own stdio: stdout/stderr go through fd_write below.
  const wasi = new WASI({
    version: 'preview1',
    args: job.args,
    env: job.env,
    preopens: job.preopens,
    returnOnExit: true,
    stdin: devNull,
    stdout: devNull,
    stderr: devNull
  })
  const base = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, WasiFunction> }).wasi_snapshot_preview1
  let memory: WasmMemory | undefined
  const inFlight = new Int32Array(job.inFlight)
  // Blocks the module (not the parent) until the parent has caught up.
  const waitForParent = (): void => {
    for (let pending = Atomics.load(inFlight, 0); pending > job.maxInFlightBytes; pending = Atomics.load(inFlight, 0)) {
      Atomics.wait(inFlight, 0, pending, 1000)
    }
  }

  const storage = new StorageBudget(job.storage.root, job.storage.limitBytes)
  const iovecBytes = (iovs: number, iovsLength: number): number => {
    if (memory === undefined) return 0
    const view = new DataView(memory.buffer as ArrayBuffer)
    let total = 0
    for (let i = 0; i < iovsLength; i++) total += view.getUint32(iovs + i * 8 + 4, true)
    return total
  }
  // Writes to files, and new files and directories, draw on the storage budget.
  const charged =
    // biome-ignore lint/suspicious/noExplicitAny: WASI imports take whatever numbers and bigints their signature has
      (name: string, cost: (...args: any[]) => number): WasiFunction =>
      (...args) => {
        if (!storage.take(cost(...args))) return ERRNO_NOSPC
        return (base[name] as WasiFunction)(...args)
      }
  const fileWrites = {
    fd_pwrite: charged('fd_pwrite', (_fd: number, iovs: number, iovsLength: number) => iovecBytes(iovs, iovsLength)),
    path_open: charged('path_open', (_fd: number, _dirflags: number, _path: number, _pathLength: number, oflags: number) =>
      (oflags & OFLAGS_CREAT) !== 0 ? StorageBudget.ENTRY_BYTES : 0
    ),
    path_create_directory: charged('path_create_directory', () => StorageBudget.ENTRY_BYTES),
    path_symlink: charged('path_symlink', () => StorageBudget.ENTRY_BYTES),
    path_link: charged('path_link', () => StorageBudget.ENTRY_BYTES)
  }
  const writeToFile = charged('fd_write', (_fd: number, iovs: number, iovsLength: number) => iovecBytes(iovs, iovsLength))

  const fdWrite: WasiFunction = (fd, iovs, iovsLength, nwrittenPtr) => {
    if (fd !== 1 && fd !== 2) return writeToFile(fd, iovs, iovsLength, nwrittenPtr)
    if (memory === undefined) return (base.fd_write as WasiFunction)(fd, iovs, iovsLength, nwrittenPtr)
    const buffer = memory.buffer as ArrayBuffer
    try {
      const view = new DataView(buffer)
      const parts: Uint8Array[] = []
      let total = 0
      for (let i = 0; i < iovsLength; i++) {
        const ptr = view.getUint32(iovs + i * 8, true)
        const length = view.getUint32(iovs + i * 8 + 4, true)
        if (ptr + length > buffer.byteLength) return ERRNO_FAULT
        parts.push(new Uint8Array(buffer, ptr, length))
        total += length
      }
      view.setUint32(nwrittenPtr, total, true)
      const stream = fd === 1 ? 'stdout' : 'stderr'
      if (total > 0) {
        const data = new Uint8Array(total)
        let offset = 0
        for (const part of parts) {
          data.set(part, offset)
          offset += part.byteLength
        }
        waitForParent()
        Atomics.add(inFlight, 0, total)
        post({ type: 'output', stream, data }, [data.buffer])
      }
      return ERRNO_SUCCESS
    } catch {
      return ERRNO_FAULT
    }
  }

  const preopenFds = Object.keys(job.preopens)
    .map((guestPath, index) => ({ guestPath, fd: FIRST_PREOPEN_FD + index }))
    .filter(({ guestPath }) => job.readOnly.includes(guestPath))
    .map(({ fd }) => fd)
  const readOnly = readOnlyFds(preopenFds, () => memory?.buffer as ArrayBuffer | undefined)
  const imports = readOnly.wrap({ ...base, ...fileWrites, fd_write: fdWrite })

  const memoryBytes = (): number => memory?.buffer.byteLength ?? 0
  try {
    const instance = new wasm.Instance(job.module, { wasi_snapshot_preview1: imports })
    memory = instance.exports.memory as WasmMemory | undefined
    const code = wasi.start(instance as object)
    return { type: 'exit', code, memoryBytes: memoryBytes(), storageExceeded: storage.exceeded }
  } catch (error) {
    return { type: 'trap', message: error instanceof Error ? error.message : String(error), memoryBytes: memoryBytes(), storageExceeded: storage.exceeded }
  }
}

parentPort?.on('message', (job: RunJob) => post(run(job)))
