// Messages between the WASI runtime and its worker threads.
import type { WasmModule } from './wasm-api.ts'

export interface RunJob {
  module: WasmModule
  args: string[]
  env: Record<string, string>
  /** Guest path → host directory; the only files the module can reach. */
  preopens: Record<string, string>
  /** Guest paths of `preopens` the module may only read (a dataset at /data). */
  readOnly: string[]
  /**
   * Flow control for output: [0] holds the bytes posted and not yet handled
   * by the parent. The worker waits while more than `maxInFlightBytes` are,
   * so a module writing without end cannot fill the provider's memory.
   */
  inFlight: SharedArrayBuffer
  maxInFlightBytes: number
  /** The disk the writable preopened directories may take (`root` holds them): writes beyond it fail with ENOSPC. */
  storage: { root: string; limitBytes: number }
}

export type WorkerMessage =
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: Uint8Array }
  | { type: 'exit'; code: number; memoryBytes: number; storageExceeded: boolean }
  | { type: 'trap'; message: string; memoryBytes: number; storageExceeded: boolean }
