import { randomBytes } from 'node:crypto'

/** Market ids (subscriptions, proposals, agreements): 32 random bytes, lower-case hex, like Golem's. */
export function newMarketId(): string {
  return randomBytes(32).toString('hex')
}
