// Market failures carry a code the REST layer maps to a status (Golem's
// semantics: NotFound 404, Gone 410, Conflict 409, BadRequest 400, Timeout 408)
// and the protocol carries across the wire.
import { CodedError } from '../net/index.ts'

export type MarketErrorCode = 'BadRequest' | 'NotFound' | 'Gone' | 'Conflict' | 'Timeout' | 'Unavailable' | 'PayloadTooLarge' | 'InsufficientStorage'

export class MarketError extends CodedError<MarketErrorCode> {
  override name = 'MarketError'
}

const MARKET_ERROR_CODES: readonly MarketErrorCode[] = ['BadRequest', 'NotFound', 'Gone', 'Conflict', 'Timeout', 'Unavailable']

export function isMarketErrorCode (code: unknown): code is MarketErrorCode {
  return typeof code === 'string' && (MARKET_ERROR_CODES as readonly string[]).includes(code)
}
