// The bounds of what the market signs and sends, in one place. The REST
// schemas, the market's own checks and the broadcast topics all read them
// from here, so an input the API accepts is never refused further in, after
// something was stored.
import { entryMessageBytes } from '../../net/index.ts'
import type { SignedEnvelope } from '../../net/index.ts'
import { MarketError } from '../errors.ts'
import { CONSTRAINT_LIMITS, PROPERTY_LIMITS } from '../language.ts'

const KIB = 1024
const DAY = 24 * 3_600_000

/** Bounds of the terms (properties + constraints) every offer, demand and proposal states. */
export const TERMS_LIMITS = Object.freeze({
  maxProperties: PROPERTY_LIMITS.maxProperties,
  maxKeyLength: PROPERTY_LIMITS.maxKeyLength,
  maxStringLength: PROPERTY_LIMITS.maxStringLength,
  maxListLength: PROPERTY_LIMITS.maxListLength,
  maxConstraintLength: CONSTRAINT_LIMITS.maxTextLength
})

/**
 * Largest signed offer, demand or proposal, in bytes of the JSON message
 * that carries it (a broadcast entry for offers and demands). Two of them
 * make an agreement, which must still fit one market protocol request.
 */
export const MAX_SIGNED_TERMS_BYTES = 64 * KIB

/** Farthest a subscription may end, from now: broadcast entries do not live longer. */
export const MAX_SUBSCRIPTION_TTL_MS = 7 * DAY

/** Largest market protocol request: an agreement carries an offer and a demand, and then some. */
export const MAX_MARKET_REQUEST_BYTES = 4 * MAX_SIGNED_TERMS_BYTES

/** Refuses a signed offer, demand or proposal larger than MAX_SIGNED_TERMS_BYTES (413). */
export function assertSignedTermsFit(what: string, envelope: SignedEnvelope): void {
  const bytes = entryMessageBytes(envelope)
  if (bytes > MAX_SIGNED_TERMS_BYTES) {
    throw new MarketError(
      'PayloadTooLarge',
      `the ${what} is ${bytes} bytes once signed; the limit is ${MAX_SIGNED_TERMS_BYTES} bytes of properties, constraints and signature together`
    )
  }
}
