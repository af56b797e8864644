// The two ways a request fails. A NetError is ours or the wire's: the node
// could not be reached, took too long, or answered something unusable. A
// RemoteError is the other node's answer: it understood and said no.
import { CodedError } from '../errors/coded-error.ts'
import { codeFromPeer, isPeerVisible } from '../errors/codes.ts'
import { codedSystemError } from '../errors/system.ts'
import type { ErrorCode } from '../errors/codes.ts'
import type { NodeId } from '../identity/node-id.ts'

export type NetErrorCode =
  | 'Unreachable'
  | 'PeerTimeout'
  | 'PayloadTooLarge'
  | 'ResponseTooLarge'
  | 'MalformedResponse'
  | 'StreamClosed'
  | 'Aborted'
  | 'NotStarted'

export class NetError extends CodedError<NetErrorCode> {
  override name = 'NetError'
}

/**
 * The code the remote handler gave, as this node understands it: a code it
 * does not know, or one no peer should send, reads as Internal.
 */
export class RemoteError extends CodedError {
  override name = 'RemoteError'
  readonly from: NodeId

  constructor(code: string, message: string, from: NodeId) {
    super(codeFromPeer(code), message)
    this.from = from
  }
}

/**
 * What a handler throws to answer with a specific code (any CodedError with a
 * code a peer may see does the same). Anything else goes back as Internal with
 * a fixed text; the error itself stays in this node's log.
 */
export class HandlerError extends CodedError {
  override name = 'HandlerError'
}

/** What a handler's error may tell the peer, or undefined when it must not cross. */
export function peerAnswerOf(err: unknown): { code: ErrorCode; message: string } | undefined {
  const coded = err instanceof CodedError ? err : codedSystemError(err)
  if (coded === undefined || !isPeerVisible(coded.code)) return undefined
  return { code: coded.code, message: coded.message }
}

/** Whether a request failed only because the node does not serve the protocol (an older version, say). */
export function doesNotServe(err: unknown): boolean {
  return err instanceof NetError && err.code === 'Unreachable' && (err.cause as Error | undefined)?.name === 'UnsupportedProtocolError'
}
