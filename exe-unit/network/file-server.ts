// The requester's end of requester transfers: only a provider running one of
// this node's activities may read what the requester offers or deliver to it.
import { HandlerError } from '../../net/index.ts'
import type { RequestContext } from '../../net/index.ts'
import type { FileRequest, FileResponse } from './files-protocol.ts'
import type { RequesterFileStore } from './requester-file-store.ts'

export type ProviderCheck = (nodeId: string) => Promise<boolean>

export function fileRequestHandler(store: RequesterFileStore, isOurProvider: ProviderCheck) {
  return async (request: FileRequest, context: RequestContext): Promise<FileResponse> => {
    if (!(await isOurProvider(context.from))) throw new HandlerError('Forbidden', "files are served to the providers of this node's activities only")
    if (request.op === 'read') {
      const { data, eof } = await store.readChunk(request.name, request.offset)
      return { data: data.toString('base64'), eof }
    }
    await store.writeChunk(context.from.toLowerCase(), request.name, request.offset, Buffer.from(request.data, 'base64'), request.final)
    return {}
  }
}
