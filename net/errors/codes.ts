// The one vocabulary of error codes. Every error a caller may branch on carries
// one of these; the REST status, whether a peer may see it and whether trying
// again can help are read from this map, never kept in a table of their own.

export interface ErrorCodeInfo {
  /** The HTTP status a REST client gets. */
  readonly status: number
  /**
   * Whether a protocol handler's error with this code reaches the remote peer
   * with its message. Any other code goes out as Internal with a fixed text.
   */
  readonly peer: boolean
  /** Whether the same call may succeed later, unchanged. */
  readonly retryable: boolean
  /** One line for people; docs/errors.md is checked against it. */
  readonly meaning: string
}

export const ERROR_CODES = {
  BadRequest: { status: 400, peer: true, retryable: false, meaning: 'The input is malformed or over a documented limit; the message names what.' },
  Unauthorized: { status: 401, peer: true, retryable: false, meaning: 'No app-key, or not a valid one.' },
  Forbidden: { status: 403, peer: true, retryable: false, meaning: "The caller may not do this (another requestor's activity, a file not offered to it)." },
  NotFound: { status: 404, peer: true, retryable: false, meaning: 'No such object (subscription, proposal, agreement, activity, batch, file).' },
  Timeout: { status: 408, peer: true, retryable: true, meaning: "A wait the caller asked for ended before the event (Golem's wait timeouts)." },
  Aborted: { status: 408, peer: false, retryable: true, meaning: 'The caller stopped waiting (its signal aborted) before an answer came.' },
  Conflict: { status: 409, peer: true, retryable: false, meaning: "The object's state does not allow it (e.g. an activity already terminated)." },
  Gone: { status: 410, peer: true, retryable: false, meaning: 'The object existed but has ended (unsubscribed, expired, cancelled).' },
  PayloadTooLarge: { status: 413, peer: true, retryable: false, meaning: 'The request is larger than the API or the protocol accepts.' },
  UnsupportedMediaType: { status: 415, peer: true, retryable: false, meaning: 'The body is not of the content type the route takes.' },
  RateLimited: { status: 429, peer: true, retryable: true, meaning: 'Too many requests from this caller; slow down.' },
  Internal: {
    status: 500,
    peer: false,
    retryable: false,
    meaning: "A fault of the answering node; its details are in that node's log under the correlation id given."
  },
  Unreachable: {
    status: 502,
    peer: false,
    retryable: true,
    meaning: 'The other node could not be reached (unknown address, refused dial, protocol not served).'
  },
  MalformedResponse: { status: 502, peer: false, retryable: false, meaning: 'The other node answered something that is not a valid response.' },
  ResponseTooLarge: { status: 502, peer: true, retryable: false, meaning: "The other node's answer is larger than the protocol accepts." },
  PeerInternal: {
    status: 502,
    peer: false,
    retryable: false,
    meaning: 'The other node failed on its side; the message carries its reference for its operator.'
  },
  StreamClosed: { status: 502, peer: false, retryable: true, meaning: 'The other node closed the stream before it answered.' },
  Unavailable: { status: 503, peer: true, retryable: true, meaning: 'The node cannot serve this now (busy, starting, stopping, a runtime gone).' },
  CapacityExceeded: {
    status: 503,
    peer: true,
    retryable: true,
    meaning: 'A configured capacity is full (activities, proposals, subscriptions); try again when some end.'
  },
  NotStarted: { status: 503, peer: false, retryable: true, meaning: 'The network host is not started.' },
  PeerTimeout: { status: 504, peer: false, retryable: true, meaning: "The other node did not answer within the protocol's timeout." },
  InsufficientStorage: { status: 507, peer: true, retryable: true, meaning: 'The disk (or the storage an agreement grants) is full.' }
} as const satisfies Record<string, ErrorCodeInfo>

export type ErrorCode = keyof typeof ERROR_CODES

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value)
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status
}

/** Whether a handler's error with `code` may reach a remote peer as it is. */
export function isPeerVisible(code: ErrorCode): boolean {
  return ERROR_CODES[code].peer
}

/** The code of a peer's answer, as this node understands it: unknown codes are the peer's own fault. */
export function codeFromPeer(value: string): ErrorCode {
  return isErrorCode(value) && isPeerVisible(value) ? value : 'Internal'
}
