// Applies a run command's capture mode to one output stream: either keeps the
// bytes asked for (head, tail or both) to return with the result at the end, or
// streams them as stdout/stderr events as they come, up to a limit.
import type { CaptureMode, CapturePart } from '../exescript/types.ts'

/** Output as RuntimeEvents carry it: text, or base64 for binary captures. */
export type CommandOutput = { str: string } | { bin: string }

export interface OutputSink {
  write: (chunk: Uint8Array) => void
  /** The value for the result's stdout/stderr field; undefined when not captured at end. */
  end: () => string | undefined
}

/**
 * `maxBytes` bounds what is kept when no part is named (head and tail halves)
 * and how much a stream without a limit sends.
 */
export function createOutputSink (mode: CaptureMode | null, emit: (output: CommandOutput) => void, maxBytes: number): OutputSink {
  if (mode === null) return { write: () => {}, end: () => undefined }
  if ('stream' in mode) return streamSink(mode.stream.format, Math.min(mode.stream.limit ?? maxBytes, maxBytes), emit)
  const part: CapturePart = mode.atEnd.part ?? { headTail: maxBytes }
  const keep = new KeptBytes(part)
  return {
    write: chunk => keep.add(chunk),
    end: () => encode(keep.bytes(), mode.atEnd.format)
  }
}

function encode (bytes: Uint8Array, format: 'str' | 'bin'): string {
  return format === 'str' ? new TextDecoder().decode(bytes) : Buffer.from(bytes).toString('base64')
}

function streamSink (format: 'str' | 'bin', limit: number, emit: (output: CommandOutput) => void): OutputSink {
  let left = limit
  // Keeps a multi-byte character split across chunks whole.
  const decoder = new TextDecoder()
  return {
    write: chunk => {
      if (left <= 0) return
      const part = chunk.byteLength > left ? chunk.subarray(0, left) : chunk
      left -= part.byteLength
      if (format === 'bin') {
        emit({ bin: Buffer.from(part).toString('base64') })
        return
      }
      const text = decoder.decode(part, { stream: left > 0 })
      if (text !== '') emit({ str: text })
    },
    end: () => {
      if (format === 'str') {
        const rest = decoder.decode()
        if (rest !== '') emit({ str: rest })
      }
      return undefined
    }
  }
}

/** Keeps the first `head` and the last `tail` bytes of everything written. */
class KeptBytes {
  readonly #headLimit: number
  readonly #tailLimit: number
  readonly #head: Uint8Array[] = []
  #headSize = 0
  #tail: Uint8Array[] = []
  #tailSize = 0

  constructor (part: CapturePart) {
    if ('head' in part) {
      this.#headLimit = part.head
      this.#tailLimit = 0
    } else if ('tail' in part) {
      this.#headLimit = 0
      this.#tailLimit = part.tail
    } else {
      this.#headLimit = Math.ceil(part.headTail / 2)
      this.#tailLimit = Math.floor(part.headTail / 2)
    }
  }

  add (chunk: Uint8Array): void {
    let rest = chunk
    if (this.#headSize < this.#headLimit) {
      const take = Math.min(this.#headLimit - this.#headSize, rest.byteLength)
      this.#head.push(rest.slice(0, take))
      this.#headSize += take
      rest = rest.subarray(take)
    }
    if (rest.byteLength === 0 || this.#tailLimit === 0) return
    if (rest.byteLength >= this.#tailLimit) {
      this.#tail = [rest.slice(rest.byteLength - this.#tailLimit)]
      this.#tailSize = this.#tailLimit
      return
    }
    this.#tail.push(rest.slice())
    this.#tailSize += rest.byteLength
    while (this.#tailSize > this.#tailLimit) {
      const first = this.#tail[0] as Uint8Array
      const excess = this.#tailSize - this.#tailLimit
      if (first.byteLength <= excess) {
        this.#tail.shift()
        this.#tailSize -= first.byteLength
      } else {
        this.#tail[0] = first.subarray(excess)
        this.#tailSize -= excess
      }
    }
  }

  bytes (): Uint8Array {
    return Buffer.concat([...this.#head, ...this.#tail])
  }
}
