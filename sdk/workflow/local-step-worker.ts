// Runs one workflow step's WASI module off the requester's main thread, so a
// long step neither stalls the SDK's event loop (its rentals, its heartbeats)
// nor outlives an abort: the parent ends the thread.
import { WASI } from 'node:wasi'
import { parentPort, workerData } from 'node:worker_threads'

export interface LocalStepJob {
  module: Uint8Array
  args: string[]
  preopens: Record<string, string>
}

/** What the worker posts once: the module's exit code, or why it could not run. */
export type LocalStepOutcome = { exitCode: number } | { error: string }

/** The parts of the global WebAssembly object used here (the project compiles without the DOM library). */
interface WasmApi {
  compile: (bytes: Uint8Array) => Promise<object>
  instantiate: (module: object, imports: object) => Promise<{ exports: Record<string, unknown> }>
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

async function run(job: LocalStepJob): Promise<LocalStepOutcome> {
  try {
    const wasi = new WASI({ version: 'preview1', args: job.args, env: {}, preopens: job.preopens, returnOnExit: true })
    const instance = await wasm.instantiate(await wasm.compile(job.module), wasi.getImportObject())
    return { exitCode: wasi.start(instance) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

parentPort?.postMessage(await run(workerData as LocalStepJob))
