// Messages between the WASI runtime and its worker threads.
import type { WasmModule } from './wasm-api.ts'

export interface RunJob {
  module: WasmModule
  args: string[]
  env: Record<string, string>
  /** Guest path → host directory; the only files the module can reach. */
  preopens: Record<string, string>
  /** Output forwarded per stream and run; more is dropped to protect the provider. */
  maxOutputBytes: number
}

export type WorkerMessage =
  | { type: 'output', stream: 'stdout' | 'stderr', data: Uint8Array }
  | { type: 'exit', code: number, memoryBytes: number }
  | { type: 'trap', message: string, memoryBytes: number }
