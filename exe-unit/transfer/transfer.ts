// Runs one transfer command: copies a single file between two endpoints, at
// least one of them inside the activity's volumes, within the size bound.
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ExeUnitError } from '../errors.ts'
import { storageLimitMessage } from '../usage/disk-usage.ts'
import type { HostLocation } from '../runtime/runtime.ts'
import { guardedFetch } from './address-guard.ts'
import { bodyChunks, bounded } from './bounded.ts'
import { parseEndpoint } from './endpoint.ts'
import type { Endpoint } from './endpoint.ts'
import type { RequesterFileChannel } from './requester-channel.ts'
import { openVolumeFileForRead, openVolumeFileForWrite } from './volume-file.ts'

export interface TransferContext {
  hostLocation: (containerPath: string) => HostLocation | null
  requesterFiles: RequesterFileChannel | undefined
  maxBytes: number
  allowPrivateNetworks: boolean
  signal: AbortSignal
  /** The activity's storage limit and the disk its directories take now: a file written into a volume counts. */
  storage: { limitBytes: number; usedBytes: () => Promise<number> }
}

export interface TransferOutcome {
  bytes: number
}

export async function transferFile(from: string, to: string, context: TransferContext): Promise<TransferOutcome> {
  const source = parseEndpoint(from, 'from')
  const target = parseEndpoint(to, 'to')
  if (source.kind !== 'container' && target.kind !== 'container') {
    throw new ExeUnitError('BadRequest', 'transfer: one end must be a container: path')
  }
  // Checked before anything is read: what room the storage limit leaves.
  const room = target.kind === 'container' ? Math.max(0, context.storage.limitBytes - (await context.storage.usedBytes())) : Infinity
  const full = (): ExeUnitError =>
    new ExeUnitError(
      'InsufficientStorage',
      storageLimitMessage(context.storage.limitBytes, `the transfer into the activity's volumes was stopped at ${room} bytes, the room left`)
    )
  let bytes = 0
  async function* counted(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of bounded(chunks, context.maxBytes, 'transferred file')) {
      bytes += chunk.byteLength
      if (bytes > room) throw full()
      yield chunk
    }
  }
  const data = counted(await openSource(source, context, room, full))
  await writeTarget(target, data, context)
  return { bytes }
}

function locate(path: string, context: TransferContext): HostLocation {
  const location = context.hostLocation(path)
  if (location === null) throw new ExeUnitError('BadRequest', `container:${path} is outside the activity's volumes`)
  return location
}

function requesterChannel(context: TransferContext): RequesterFileChannel {
  if (context.requesterFiles === undefined) throw new ExeUnitError('BadRequest', 'transfers from or to the requester are not available here')
  return context.requesterFiles
}

async function openSource(source: Endpoint, context: TransferContext, room: number, full: () => ExeUnitError): Promise<AsyncIterable<Uint8Array>> {
  switch (source.kind) {
    case 'container':
      return await openVolumeFileForRead(locate(source.path, context), source.path)
    case 'requester':
      return requesterChannel(context).read(source.url, context.signal)
    case 'http': {
      const response = await guardedFetch(source.url, { signal: context.signal }, { allowPrivateNetworks: context.allowPrivateNetworks })
      if (!response.ok) {
        await response.body?.cancel()
        throw new ExeUnitError('BadRequest', `download from ${source.url.href} failed: HTTP ${response.status}`)
      }
      const length = Number(response.headers.get('content-length') ?? NaN)
      if (length > room && length <= context.maxBytes) {
        await response.body?.cancel()
        throw full()
      }
      if (length > context.maxBytes) {
        await response.body?.cancel()
        throw new ExeUnitError('BadRequest', `${source.url.href} is larger than the limit of ${context.maxBytes} bytes`)
      }
      return bodyChunks(response.body)
    }
  }
}

async function writeTarget(target: Endpoint, data: AsyncIterable<Uint8Array>, context: TransferContext): Promise<void> {
  switch (target.kind) {
    case 'container': {
      const location = locate(target.path, context)
      const file = await openVolumeFileForWrite(location, target.path)
      try {
        await pipeline(Readable.from(data), file, { signal: context.signal })
      } catch (error) {
        // A partial file would look like a finished one.
        await rm(location.path, { force: true })
        throw error
      }
      return
    }
    case 'requester':
      await requesterChannel(context).write(target.url, data, context.signal)
      return
    case 'http': {
      const response = await guardedFetch(
        target.url,
        { method: 'PUT', body: data, signal: context.signal },
        { allowPrivateNetworks: context.allowPrivateNetworks }
      )
      await response.body?.cancel()
      if (!response.ok) throw new ExeUnitError('BadRequest', `upload to ${target.url.href} failed: HTTP ${response.status}`)
    }
  }
}
