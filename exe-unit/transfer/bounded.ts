// Byte-counting pass-through: a transfer or download larger than allowed fails
// as soon as it crosses the bound instead of filling the disk.
import { ExeUnitError } from '../errors.ts'

export async function* bounded(source: AsyncIterable<Uint8Array>, maxBytes: number, what: string): AsyncGenerator<Uint8Array> {
  let total = 0
  for await (const chunk of source) {
    total += chunk.byteLength
    if (total > maxBytes) throw new ExeUnitError('BadRequest', `${what} is larger than the limit of ${maxBytes} bytes`)
    yield chunk
  }
}

/** Reads a fetch body as an async iterable of chunks. */
export async function* bodyChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return
  const reader = body.getReader()
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
