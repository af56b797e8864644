// What the market needs of the network, as an interface: the daemon gives it
// the libp2p host (see libp2p-market-net.ts). Keeping it small keeps the market
// testable and the net module replaceable.
import type { BroadcastEntry, NodeId, SignedEnvelope } from '../../net/index.ts'
import type { DemandPayload, OfferPayload } from '../model/wire.ts'

export interface EntryChannel<T> {
  publish: (payload: T) => Promise<void>
  retract: (id: string) => Promise<void>
  get: (id: string) => BroadcastEntry<T> | undefined
  entries: () => Iterable<BroadcastEntry<T>>
  onAdded: (listener: (entry: BroadcastEntry<T>) => void) => void
  onRemoved: (listener: (id: string) => void) => void
}

/**
 * A signed market message sent directly to one party, answered at once: the
 * caller learns whether it arrived, and stores nothing when it did not.
 * Approvals, closings and proposal rejections travel through the durable
 * outbox instead (see agreement-messages.ts).
 */
export interface MarketMessage {
  kind: 'proposal' | 'agreement'
  envelope: SignedEnvelope
}

export interface MarketNet {
  readonly nodeId: NodeId
  readonly offers: EntryChannel<OfferPayload>
  readonly demands: EntryChannel<DemandPayload>
  /** Handles messages sent to this node; a thrown MarketError goes back to the sender. */
  onMessage: (handler: (message: MarketMessage, from: NodeId) => Promise<void>) => Promise<void>
  /** Sends a message and waits for the other party's answer; throws MarketError. */
  send: (to: NodeId, message: MarketMessage, options?: { timeoutMs?: number }) => Promise<void>
  signEnvelope: <T>(type: string, payload: T) => SignedEnvelope<T>
}
