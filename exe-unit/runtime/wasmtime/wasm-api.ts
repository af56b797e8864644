// The parts of the global WebAssembly object the WASI runtime uses, typed here
// because the project compiles without the DOM library that declares them.

/** A compiled module; structured-cloneable, so it can be posted to a worker. */
export interface WasmModule {
  readonly [moduleBrand]?: never
}
declare const moduleBrand: unique symbol

export interface WasmMemory {
  readonly buffer: ArrayBuffer
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

interface ModuleDescriptor {
  module?: string
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
}

interface WasmApi {
  compile: (bytes: Uint8Array) => Promise<WasmModule>
  Module: {
    imports: (module: WasmModule) => Array<Required<ModuleDescriptor>>
    exports: (module: WasmModule) => ModuleDescriptor[]
  }
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
