// Applies a run command's capture mode to one output stream: either keeps the
// bytes asked for (head, tail or both) to return with the result at the end, or
// streams them as stdout/stderr events as they come, up to a limit. Nothing
// beyond the limit is held: what is dropped is counted, and a text capture
// shows a marker where bytes were cut.
import type { CaptureMode, CapturePart } from '../exescript/types.ts'

/** Output as RuntimeEvents carry it: text, or base64 for binary captures. */
export type CommandOutput = { str: string } | { bin: string }

export interface OutputSink {
  write: (chunk: Uint8Array) => void
  end: () => CapturedOutput
}

export interface CapturedOutput {
  /** The value for the result's stdout/stderr field; undefined when not captured at end. */
  value: string | undefined
  /** Bytes left out because they were beyond the capture's limit. */
  cutBytes: number
}

/** Largest piece of output one stdout/stderr event carries. */
export const MAX_EVENT_OUTPUT_BYTES = 64 * 1024

/** Shown in text output where bytes were left out. */
export function cutMarker(bytes: number): string {
  return `\n[... ${bytes} bytes cut: beyond the capture limit ...]\n`
}

/**
 * `maxBytes` bounds what is kept when no part is named (head and tail halves)
 * and how much a stream without a limit sends.
 */
export function createOutputSink(mode: CaptureMode | null, emit: (output: CommandOutput) => void, maxBytes: number): OutputSink {
  if (mode === null) return { write: () => {}, end: () => ({ value: undefined, cutBytes: 0 }) }
  if ('stream' in mode) return streamSink(mode.stream.format, Math.min(mode.stream.limit ?? maxBytes, maxBytes), emit)
  const part: CapturePart = mode.atEnd.part ?? { headTail: maxBytes }
  const keep = new KeptBytes(part)
  return {
    write: chunk => keep.add(chunk),
    end: () => ({ value: keep.encode(mode.atEnd.format), cutBytes: keep.cutBytes })
  }
}

function streamSink(format: 'str' | 'bin', limit: number, emit: (output: CommandOutput) => void): OutputSink {
  let left = limit
  let cutBytes = 0
  // Keeps a multi-byte character split across chunks whole.
  const decoder = new TextDecoder()
  const send = (part: Uint8Array): void => {
    if (format === 'bin') {
      emit({ bin: Buffer.from(part).toString('base64') })
      return
    }
    const text = decoder.decode(part, { stream: true })
    if (text !== '') emit({ str: text })
  }
  return {
    write: chunk => {
      const take = Math.min(chunk.byteLength, left)
      cutBytes += chunk.byteLength - take
      left -= take
      for (let offset = 0; offset < take; offset += MAX_EVENT_OUTPUT_BYTES) {
        send(chunk.subarray(offset, Math.min(take, offset + MAX_EVENT_OUTPUT_BYTES)))
      }
    },
    end: () => {
      if (format === 'str') {
        const rest = decoder.decode()
        if (rest !== '') emit({ str: rest })
        if (cutBytes > 0) emit({ str: cutMarker(cutBytes) })
      }
      return { value: undefined, cutBytes }
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
  #total = 0

  constructor(part: CapturePart) {
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

  /** Bytes written but not kept. */
  get cutBytes(): number {
    return this.#total - this.#headSize - this.#tailSize
  }

  add(chunk: Uint8Array): void {
    this.#total += chunk.byteLength
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

  /** What was kept; text shows a marker where bytes were cut (binary is left whole for the decoder). */
  encode(format: 'str' | 'bin'): string {
    const head = Buffer.concat(this.#head)
    const tail = Buffer.concat(this.#tail)
    if (format === 'bin') return Buffer.concat([head, tail]).toString('base64')
    const cut = this.cutBytes
    if (cut === 0) return new TextDecoder().decode(Buffer.concat([head, tail]))
    return new TextDecoder().decode(head) + cutMarker(cut) + new TextDecoder().decode(tail)
  }
}
