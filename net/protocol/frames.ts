// The wire form of one exchange: one length-prefixed JSON frame each way.
//   request:  { v: 1, body }
//   response: { v: 1, ok: true, body } | { v: 1, ok: false, error: { code, message } }
// The version lets a later frame format live next to this one.
import * as lp from 'it-length-prefixed'
import Type from 'typebox'
import { CodedError } from '../errors/coded-error.ts'
import { validator } from '../schema/validator.ts'
import { parseJsonBytes } from './json-bytes.ts'
import type { Stream, AbortOptions } from '@libp2p/interface'

export const FRAME_VERSION = 1

const RequestFrame = Type.Object(
  {
    v: Type.Literal(FRAME_VERSION),
    body: Type.Unknown()
  },
  { additionalProperties: false }
)

/** Longest error code and message a response may carry. */
export const MAX_ERROR_CODE_LENGTH = 64
export const MAX_ERROR_MESSAGE_LENGTH = 2000

/** What a refusal carries: a code of the error vocabulary, and a message for people. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: MAX_ERROR_CODE_LENGTH }),
    message: Type.String({ maxLength: MAX_ERROR_MESSAGE_LENGTH })
  },
  { additionalProperties: false }
)

const ResponseFrame = Type.Union([
  Type.Object({ v: Type.Literal(FRAME_VERSION), ok: Type.Literal(true), body: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ v: Type.Literal(FRAME_VERSION), ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false })
])

export const requestFrame = validator(RequestFrame, 'request frame')
export const responseFrame = validator(ResponseFrame, 'response frame')

/** Too large, cut short, or not a frame at all. */
export type FrameErrorCode = 'PayloadTooLarge' | 'StreamClosed' | 'BadRequest'

export class FrameError extends CodedError<FrameErrorCode> {
  override name = 'FrameError'
}

/** Sends one frame and closes our writing side (the other side sees the end). */
export async function sendFrame(stream: Stream, bytes: Uint8Array, options?: AbortOptions): Promise<void> {
  if (!stream.send(lp.encode.single(bytes))) await stream.onDrain(options)
  await stream.close(options)
}

/**
 * Reads exactly one frame of at most `maxBytes` and parses its JSON. A larger
 * length prefix is refused before its body is read.
 */
export async function readFrame(stream: Stream, maxBytes: number): Promise<unknown> {
  let bytes: Uint8Array | undefined
  try {
    for await (const frame of lp.decode(stream, { maxDataLength: maxBytes })) {
      bytes = frame.subarray()
      break
    }
  } catch (err) {
    switch ((err as Error).name) {
      case 'InvalidDataLengthError':
        throw new FrameError('PayloadTooLarge', `frame larger than ${maxBytes} bytes`)
      case 'UnexpectedEOFError':
        throw new FrameError('StreamClosed', 'stream ended inside a frame')
      case 'InvalidMessageLengthError':
      case 'InvalidDataLengthLengthError':
        throw new FrameError('BadRequest', 'bad frame length prefix')
      default:
        throw err
    }
  }
  if (bytes === undefined) throw new FrameError('StreamClosed', 'stream ended before a frame arrived')
  try {
    return parseJsonBytes(bytes)
  } catch {
    throw new FrameError('BadRequest', 'frame is not UTF-8 JSON')
  }
}
