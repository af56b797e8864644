// The wire form of a long-lived protocol's exchanges: many on one stream,
// each frame length-prefixed JSON, numbered by the requester.
//   request:  { v: 1, n, body }
//   response: { v: 1, n, ok: true, body } | { v: 1, n, ok: false, error: { code, message } }
// The server answers each request in turn; the number ties an answer to its
// request all the same, so that a requester that gave up on one (its timeout
// passed) can tell the late answer from the next one.
import Type from 'typebox'
import { validator } from '../schema/validator.ts'
import { ErrorBody, FRAME_VERSION } from './frames.ts'

const RequestNumber = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

const ChannelRequestFrame = Type.Object({ v: Type.Literal(FRAME_VERSION), n: RequestNumber, body: Type.Unknown() }, { additionalProperties: false })

const ChannelResponseFrame = Type.Union([
  Type.Object({ v: Type.Literal(FRAME_VERSION), n: RequestNumber, ok: Type.Literal(true), body: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ v: Type.Literal(FRAME_VERSION), n: RequestNumber, ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false })
])

export const channelRequestFrame = validator(ChannelRequestFrame, 'channel request frame')
export const channelResponseFrame = validator(ChannelResponseFrame, 'channel response frame')
