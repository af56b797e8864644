// The provider's end of requester transfers: an `agora-requester:<name>` (or
// `gftp:<name>`) URL names a file on the activity's requester, read and
// written chunk by chunk over `/agora/activity-files/1`.
import type { NetHost, NodeId } from '../../net/index.ts'
import { NetError, RemoteError } from '../../net/index.ts'
import { ExeUnitError } from '../errors.ts'
import { REQUESTER_SCHEMES } from '../transfer/requester-channel.ts'
import type { RequesterFileChannel } from '../transfer/requester-channel.ts'
import { FILE_CHUNK_BYTES, FILES_PROTOCOL, TRANSFER_NAME } from './files-protocol.ts'
import type { FileRequest } from './files-protocol.ts'

const NAME = new RegExp(TRANSFER_NAME)

function nameOf(url: string): string {
  const scheme = REQUESTER_SCHEMES.find(s => url.startsWith(s))
  const name = scheme === undefined ? '' : url.slice(scheme.length).replace(/^\/+/, '')
  if (!NAME.test(name)) throw new ExeUnitError('BadRequest', `${url.slice(0, 200)} does not name a requester file (letters, digits, '.', '_', '-')`)
  return name
}

async function send(net: NetHost, requesterId: string, request: FileRequest, signal?: AbortSignal): Promise<{ data?: string; eof?: boolean }> {
  try {
    return await net.request(FILES_PROTOCOL, requesterId as NodeId, request, signal === undefined ? {} : { signal })
  } catch (err) {
    if (err instanceof RemoteError) throw new ExeUnitError('BadRequest', `the requester refused: ${err.message}`)
    if (err instanceof NetError) throw new ExeUnitError('BadRequest', `the requester cannot be reached: ${err.message}`)
    throw err
  }
}

export function requesterFilesOver(net: NetHost): (requesterId: string) => RequesterFileChannel {
  return requesterId => ({
    async *read(url, signal) {
      const name = nameOf(url)
      let offset = 0
      for (;;) {
        const answer = await send(net, requesterId, { op: 'read', name, offset }, signal)
        const chunk = Buffer.from(answer.data ?? '', 'base64')
        offset += chunk.byteLength
        if (chunk.byteLength > 0) yield chunk
        if (answer.eof === true) return
        if (chunk.byteLength === 0) throw new ExeUnitError('BadRequest', `the requester sent no data for ${name} before its end`)
      }
    },
    async write(url, data, signal) {
      const name = nameOf(url)
      let offset = 0
      let pending: Buffer[] = []
      let pendingBytes = 0
      const flush = async (final: boolean): Promise<void> => {
        const chunk = Buffer.concat(pending, pendingBytes)
        await send(net, requesterId, { op: 'write', name, offset, data: chunk.toString('base64'), final }, signal)
        offset += chunk.byteLength
        pending = []
        pendingBytes = 0
      }
      for await (const piece of data) {
        let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
        while (rest.byteLength > 0) {
          const take = Math.min(rest.byteLength, FILE_CHUNK_BYTES - pendingBytes)
          pending.push(rest.subarray(0, take))
          pendingBytes += take
          rest = rest.subarray(take)
          if (pendingBytes === FILE_CHUNK_BYTES) await flush(false)
        }
      }
      await flush(true)
    }
  })
}
