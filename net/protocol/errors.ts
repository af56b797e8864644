// The two ways a request fails. A NetError is ours or the wire's: the node
// could not be reached, took too long, or answered something unusable. A
// RemoteError is the other node's answer: it understood and said no.
import { CodedError } from '../errors/coded-error.ts'
import type { NodeId } from '../identity/node-id.ts'

export type NetErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'request_too_large'
  | 'response_too_large'
  | 'malformed_response'
  | 'stream_closed'
  | 'aborted'
  | 'not_started'

export class NetError extends CodedError<NetErrorCode> {
  override name = 'NetError'
}

/** Its code is the one the remote handler gave (e.g. 'bad_request', 'handler_error'). */
export class RemoteError extends CodedError {
  override name = 'RemoteError'
  readonly from: NodeId

  constructor (code: string, message: string, from: NodeId) {
    super(code, message)
    this.from = from
  }
}

/**
 * What a handler throws to answer with a specific error code. Any other error
 * a handler throws goes back as code 'handler_error', with its message only.
 */
export class HandlerError extends CodedError {
  override name = 'HandlerError'
}

