// Caps a WebAssembly module's memory before it is compiled: the memory section
// is rewritten so that its maximum is at most the activity's memory limit.
// memory.grow past it then fails inside the module (returns -1) instead of
// taking memory from the provider. A module that needs more at start is refused.
import { ExeUnitError } from '../../errors.ts'

export const WASM_PAGE_BYTES = 65536
const WASM32_MAX_PAGES = 65536
const MEMORY_SECTION = 5

export interface CappedModule {
  bytes: Uint8Array
  /** Memory the module starts with, in bytes. */
  initialBytes: number
  /** The most memory it can grow to, in bytes. */
  maxBytes: number
}

export function capModuleMemory(module: Uint8Array, limitBytes: number): CappedModule {
  const reader = new Reader(module)
  if (module.byteLength < 8 || reader.u32le() !== 0x6d736100 || reader.u32le() !== 1) {
    throw new ExeUnitError('BadRequest', 'task package is not a WebAssembly module (bad magic or version)')
  }
  const limitPages = Math.floor(limitBytes / WASM_PAGE_BYTES)
  const out: Uint8Array[] = [module.subarray(0, 8)]
  let initialPages = 0
  let maxPages = 0
  while (!reader.done) {
    const sectionStart = reader.offset
    const id = reader.byte()
    const size = reader.leb()
    const start = reader.offset
    const content = reader.take(size)
    if (id !== MEMORY_SECTION) {
      out.push(module.subarray(sectionStart, start + size))
      continue
    }
    const section = new Reader(content)
    const count = section.leb()
    const memories: number[] = [...leb(count)]
    for (let i = 0; i < count; i++) {
      const flags = section.byte()
      if ((flags & 4) !== 0) throw new ExeUnitError('BadRequest', 'the module uses 64-bit memory, which is not supported')
      const min = section.leb()
      const declaredMax = (flags & 1) !== 0 ? section.leb() : WASM32_MAX_PAGES
      if (min > limitPages) {
        throw new ExeUnitError('BadRequest', `the module needs ${mib(min * WASM_PAGE_BYTES)} MiB of memory at start; the limit is ${mib(limitBytes)} MiB`)
      }
      const max = Math.min(declaredMax, limitPages)
      memories.push(flags | 1, ...leb(min), ...leb(max))
      initialPages += min
      maxPages += max
    }
    const body = Uint8Array.from(memories)
    out.push(Uint8Array.from([MEMORY_SECTION, ...leb(body.byteLength)]), body)
  }
  return { bytes: Buffer.concat(out), initialBytes: initialPages * WASM_PAGE_BYTES, maxBytes: maxPages * WASM_PAGE_BYTES }
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 100) / 100
}

function leb(value: number): number[] {
  const bytes: number[] = []
  do {
    let byte = value & 0x7f
    value = Math.floor(value / 128)
    if (value !== 0) byte |= 0x80
    bytes.push(byte)
  } while (value !== 0)
  return bytes
}

class Reader {
  readonly #bytes: Uint8Array
  offset = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  get done(): boolean {
    return this.offset >= this.#bytes.byteLength
  }

  byte(): number {
    if (this.done) throw new ExeUnitError('BadRequest', 'the WebAssembly module is truncated')
    return this.#bytes[this.offset++] as number
  }

  u32le(): number {
    return (this.byte() | (this.byte() << 8) | (this.byte() << 16) | (this.byte() << 24)) >>> 0
  }

  leb(): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const byte = this.byte()
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return result
      shift += 7
    }
    throw new ExeUnitError('BadRequest', 'the WebAssembly module has a malformed number')
  }

  take(size: number): Uint8Array {
    if (this.offset + size > this.#bytes.byteLength) throw new ExeUnitError('BadRequest', 'the WebAssembly module is truncated')
    const part = this.#bytes.subarray(this.offset, this.offset + size)
    this.offset += size
    return part
  }
}
