// Market failures carry a code from the one vocabulary (net's ERROR_CODES),
// which gives the REST status (Golem's semantics: NotFound 404, Gone 410,
// Conflict 409, BadRequest 400, Timeout 408) and crosses the wire as it is.
import { CodedError } from '../net/index.ts'

export type MarketErrorCode =
  | 'BadRequest'
  | 'Forbidden'
  | 'NotFound'
  | 'Gone'
  | 'Conflict'
  | 'Timeout'
  | 'PayloadTooLarge'
  | 'CapacityExceeded'
  | 'Unavailable'
  | 'Unreachable'
  | 'PeerInternal'
  | 'InsufficientStorage'

export class MarketError extends CodedError<MarketErrorCode> {
  override name = 'MarketError'
}

const MARKET_ERROR_CODES: ReadonlySet<string> = new Set<MarketErrorCode>([
  'BadRequest',
  'Forbidden',
  'NotFound',
  'Gone',
  'Conflict',
  'Timeout',
  'PayloadTooLarge',
  'CapacityExceeded',
  'Unavailable',
  'Unreachable',
  'PeerInternal'
])

/** A parser's refusal (a coded BadRequest) as the market's, naming the part; anything else is a fault and passes as it is. */
export function badInput(part: string, err: unknown): unknown {
  return err instanceof CodedError && err.code === 'BadRequest' ? new MarketError('BadRequest', `${part}: ${err.message}`, { cause: err }) : err
}

export function isMarketErrorCode(code: unknown): code is MarketErrorCode {
  return typeof code === 'string' && MARKET_ERROR_CODES.has(code)
}
