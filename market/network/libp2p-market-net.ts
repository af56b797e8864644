// The market over the libp2p host: offers and demands as broadcast topics,
// negotiation and the requester's signed agreement over one request/response
// protocol, /agora/market/1 (approvals, closings and proposal rejections go
// through the market's outbox, /agora/market/outbox/1). Market errors cross the wire by their code.
import Type from 'typebox'
import { NetError, RemoteError, deadlineSignal, defineProtocol, signEnvelope } from '../../net/index.ts'
import type { Broadcast, NetHost, NodeId, TopicDefinition } from '../../net/index.ts'
import type { Static, TSchema } from 'typebox'
import { MarketError, isMarketErrorCode } from '../errors.ts'
import { MAX_MARKET_REQUEST_BYTES, MAX_SIGNED_TERMS_BYTES, MAX_SUBSCRIPTION_TTL_MS } from '../model/limits.ts'
import { DemandPayload, ENVELOPE_TYPES, OfferPayload } from '../model/wire.ts'
import type { EntryChannel, MarketMessage, MarketNet } from './market-net.ts'

const OFFERS_MAX_BYTES = 128 * 1024 * 1024

export const OFFERS_TOPIC: TopicDefinition<typeof OfferPayload> = {
  name: 'offers',
  envelopeType: ENVELOPE_TYPES.offer,
  payload: OfferPayload,
  idOf: payload => payload.offerId,
  expiresAt: payload => payload.expiresAt,
  maxEntries: 100_000,
  maxPerSigner: 1_000,
  // Room for the 100,000 offers at about 1.3 KB each, what a Golem-style
  // offer with a payment platform or two takes (the default, 64 MiB, held
  // only offers of 670 bytes on average).
  maxBytes: OFFERS_MAX_BYTES,
  // The market checks both before it stores a subscription (model/limits.ts).
  maxEntryBytes: MAX_SIGNED_TERMS_BYTES,
  maxTtlMs: MAX_SUBSCRIPTION_TTL_MS
}

export const DEMANDS_TOPIC: TopicDefinition<typeof DemandPayload> = {
  name: 'demands',
  envelopeType: ENVELOPE_TYPES.demand,
  payload: DemandPayload,
  idOf: payload => payload.demandId,
  expiresAt: payload => payload.expiresAt,
  maxEntries: 100_000,
  maxPerSigner: 1_000,
  // The market checks both before it stores a subscription (model/limits.ts).
  maxEntryBytes: MAX_SIGNED_TERMS_BYTES,
  maxTtlMs: MAX_SUBSCRIPTION_TTL_MS
}

export const MARKET_PROTOCOL = defineProtocol({
  name: '/agora/market/1',
  request: Type.Object(
    {
      kind: Type.Union([Type.Literal('proposal'), Type.Literal('agreement')]),
      envelope: Type.Object(
        {
          v: Type.Literal(1),
          type: Type.String({ maxLength: 100 }),
          signer: Type.String({ maxLength: 42 }),
          payload: Type.Unknown(),
          sig: Type.String({ maxLength: 132 })
        },
        { additionalProperties: false }
      )
    },
    { additionalProperties: false }
  ),
  response: Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false }),
  maxRequestBytes: MAX_MARKET_REQUEST_BYTES,
  maxResponseBytes: 1024,
  timeoutMs: 10_000,
  // Proposals and agreements are small: negotiation works through a relay.
  overRelay: true
})

function channelOver<S extends TSchema>(topic: Broadcast<S>): EntryChannel<Static<S>> {
  return {
    publish: async payload => {
      await topic.publish(payload)
    },
    retract: async id => {
      await topic.retract(id)
    },
    get: id => topic.get(id),
    entries: () => topic.entries(),
    onAdded: listener => topic.addEventListener('entry:added', event => listener(event.detail)),
    onRemoved: listener => topic.addEventListener('entry:removed', event => listener(event.detail.id))
  }
}

/** Turns what a send may throw into the market's own errors. */
function marketErrorOf(err: unknown, to: NodeId): MarketError {
  if (err instanceof MarketError) return err
  if (err instanceof RemoteError) {
    // Its fault, not the caller's: the message carries the peer's reference.
    if (err.code === 'Internal') return new MarketError('PeerInternal', `${to}: ${err.message}`)
    if (isMarketErrorCode(err.code)) return new MarketError(err.code, err.message)
    return new MarketError('Unavailable', `${to}: ${err.message}`)
  }
  if (err instanceof NetError) {
    if (err.code === 'PeerTimeout' || err.code === 'Aborted') return new MarketError('Timeout', `${to}: ${err.message}`)
    return new MarketError(err.code === 'Unreachable' ? 'Unreachable' : 'Unavailable', `${to}: ${err.message}`)
  }
  return new MarketError('Unavailable', `${to}: the message could not be sent`, { cause: err })
}

export function marketNetOver(host: NetHost): MarketNet {
  const offers = channelOver(host.broadcast(OFFERS_TOPIC))
  const demands = channelOver(host.broadcast(DEMANDS_TOPIC))
  return {
    nodeId: host.nodeId,
    offers,
    demands,
    onMessage: async handler => {
      await host.handle(MARKET_PROTOCOL, async (request, { from }) => {
        await handler(request as MarketMessage, from)
        return { ok: true as const }
      })
    },
    send: async (to, message, options = {}) => {
      const deadline = options.timeoutMs === undefined ? undefined : deadlineSignal(options.timeoutMs)
      try {
        await host.request(MARKET_PROTOCOL, to, message, deadline === undefined ? {} : { signal: deadline.signal })
      } catch (err) {
        throw marketErrorOf(err, to)
      } finally {
        deadline?.clear()
      }
    },
    signEnvelope: (type, payload) => signEnvelope(host.key, type, payload)
  }
}
