// `/agora/activity-files/1`: a provider's exe-unit reads the files a requester
// offers (`agora-requester:<name>` as a transfer source) and delivers files to
// it (as a transfer target), one chunk per request.
import Type from 'typebox'
import type { Static } from 'typebox'
import { defineProtocol } from '../../net/index.ts'

/** Bytes per chunk: base64 keeps each frame under the protocol's limits. */
export const FILE_CHUNK_BYTES = 1024 * 1024
export const TRANSFER_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'

const Name = Type.String({ pattern: TRANSFER_NAME })
const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Data = Type.String({ maxLength: Math.ceil(FILE_CHUNK_BYTES / 3) * 4, contentEncoding: 'base64' })

export const FileRequest = Type.Union([
  Type.Object({ op: Type.Literal('read'), name: Name, offset: Offset }, { additionalProperties: false }),
  /** `offset` 0 starts a new delivery; `final` commits it under its name. */
  Type.Object({ op: Type.Literal('write'), name: Name, offset: Offset, data: Data, final: Type.Boolean() }, { additionalProperties: false })
])
export type FileRequest = Static<typeof FileRequest>

export const FileResponse = Type.Object(
  {
    data: Type.Optional(Data),
    eof: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)
export type FileResponse = Static<typeof FileResponse>

export const FILES_PROTOCOL = defineProtocol({
  name: '/agora/activity-files/1',
  request: FileRequest,
  response: FileResponse,
  maxRequestBytes: 2 * 1024 * 1024,
  maxResponseBytes: 2 * 1024 * 1024,
  timeoutMs: 60_000,
  // Bulk data would spend a relay's budget at once: a direct connection only.
  overRelay: false
})
