// The requester's files for transfers: an outbox of files it offers to the
// providers of its activities, and an inbox of files they delivered. Names are
// plain (no paths); a delivery is written aside and renamed when complete, so
// a reader never sees half a file.
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ExeUnitError } from '../errors.ts'
import { bounded } from '../transfer/bounded.ts'
import { FILE_CHUNK_BYTES, TRANSFER_NAME } from './files-protocol.ts'

const NAME = new RegExp(TRANSFER_NAME)

export interface StoredFile {
  name: string
  bytes: number
  modified: string
}

export class RequesterFileStore {
  readonly #outbox: string
  readonly #inbox: string
  readonly #partial: string
  readonly #maxBytes: number

  constructor(dir: string, maxBytes: number) {
    this.#outbox = join(dir, 'outbox')
    this.#inbox = join(dir, 'inbox')
    this.#partial = join(dir, 'partial')
    this.#maxBytes = maxBytes
  }

  async open(): Promise<void> {
    for (const dir of [this.#outbox, this.#inbox]) await mkdir(dir, { recursive: true })
    // Deliveries cut off by a crash are never completed.
    await rm(this.#partial, { recursive: true, force: true })
    await mkdir(this.#partial, { recursive: true })
  }

  // ---- the requester's side (REST) ----

  /** Offers a file to providers under `name`, replacing an earlier one. */
  async offer(name: string, data: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    checkName(name)
    const aside = join(this.#partial, `offer-${name}`)
    try {
      await pipeline(bounded(data, this.#maxBytes, `file ${name}`), createWriteStream(aside, { mode: 0o600 }))
      await rename(aside, join(this.#outbox, name))
    } catch (err) {
      await rm(aside, { force: true })
      throw err
    }
    return await this.#describe(this.#outbox, name)
  }

  async offered(): Promise<StoredFile[]> {
    return await this.#list(this.#outbox)
  }
  async received(): Promise<StoredFile[]> {
    return await this.#list(this.#inbox)
  }

  /** A delivered file, to stream to the requester's client. */
  async openReceived(name: string): Promise<{ file: StoredFile; stream: NodeJS.ReadableStream }> {
    checkName(name)
    const file = await this.#describe(this.#inbox, name)
    return { file, stream: createReadStream(join(this.#inbox, name)) }
  }

  async remove(box: 'offered' | 'received', name: string): Promise<void> {
    checkName(name)
    const dir = box === 'offered' ? this.#outbox : this.#inbox
    await this.#describe(dir, name)
    await rm(join(dir, name))
  }

  // ---- the providers' side (network) ----

  /** One chunk of an offered file from `offset`; `eof` once nothing follows. */
  async readChunk(name: string, offset: number): Promise<{ data: Buffer; eof: boolean }> {
    checkName(name)
    const handle = await open(join(this.#outbox, name), 'r').catch(() => {
      throw new ExeUnitError('NotFound', `the requester offers no file ${name}`)
    })
    try {
      const { size } = await handle.stat()
      const length = Math.max(0, Math.min(FILE_CHUNK_BYTES, size - offset))
      const data = Buffer.alloc(length)
      if (length > 0) await handle.read(data, 0, length, offset)
      return { data, eof: offset + length >= size }
    } finally {
      await handle.close()
    }
  }

  /** Appends a chunk to a delivery from `deliverer`; `final` makes it visible. */
  async writeChunk(deliverer: string, name: string, offset: number, data: Buffer, final: boolean): Promise<void> {
    checkName(name)
    const aside = join(this.#partial, `${deliverer}-${name}`)
    if (offset === 0) await rm(aside, { force: true })
    const size = (await stat(aside).catch(() => null))?.size ?? 0
    if (size !== offset) throw new ExeUnitError('Conflict', `delivery of ${name} is at byte ${size}, not ${offset}`)
    if (offset + data.byteLength > this.#maxBytes) {
      await rm(aside, { force: true })
      throw new ExeUnitError('BadRequest', `file ${name} is larger than the limit of ${this.#maxBytes} bytes`)
    }
    const handle = await open(aside, 'a', 0o600)
    try {
      await handle.write(data)
    } finally {
      await handle.close()
    }
    if (final) await rename(aside, join(this.#inbox, name))
  }

  async #describe(dir: string, name: string): Promise<StoredFile> {
    const info = await stat(join(dir, name)).catch(() => null)
    if (info === null || !info.isFile()) throw new ExeUnitError('NotFound', `no file ${name}`)
    return { name, bytes: info.size, modified: info.mtime.toISOString() }
  }

  async #list(dir: string): Promise<StoredFile[]> {
    // Anything else that landed there (a directory, a stray name) is left alone, not a reason to fail the listing.
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter(entry => entry.isFile() && NAME.test(entry.name))
      .map(entry => entry.name)
      .sort()
    return await Promise.all(names.map(async name => await this.#describe(dir, name)))
  }
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new ExeUnitError(
      'BadRequest',
      `a transfer name is 1 to 128 letters, digits, '.', '_' or '-', not starting with a dot: ${JSON.stringify(name.slice(0, 140))}`
    )
}
