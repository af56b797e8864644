// `/agora/secagg/1`: the messages of a secure-aggregation session. The owners
// ask, the aggregator (the requester's daemon) answers: a star, so owners
// never need to reach each other. Everything an owner or the aggregator
// asserts travels in an envelope signed by its node key; the envelope's type
// names the round, and the payload names the session, so that no message
// passes for one of another round or another session.
import Type from 'typebox'
import type { Static } from 'typebox'
import { CodedError, NodeIdText, SignedEnvelopeSchema, defineProtocol, parseNodeId, validator } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'

export const SECAGG_PROTOCOL_NAME = '/agora/secagg/1'
export const MAX_PARTICIPANTS = 50
export const MAX_VECTOR_LENGTH = 100_000
export const MIN_ROUND_TIMEOUT_MS = 1_000
export const MAX_ROUND_TIMEOUT_MS = 600_000
/** The longest an owner's outcome poll is held. */
export const MAX_POLL_MS = 30_000

export const ROUNDS = ['advertise', 'shares', 'masked', 'consistency', 'unmask'] as const
export type RoundName = (typeof ROUNDS)[number]

export const SessionIdText = Type.String({ pattern: '^[0-9a-f]{32}$' })
const PublicKeyHex = Type.String({ pattern: '^[0-9a-f]{64}$' })
const FieldHex = Type.String({ pattern: '^[0-9a-f]{1,132}$' })
const BoxText = Type.String({ maxLength: 400, pattern: '^[A-Za-z0-9+/]*={0,2}$' })
const MaskedText = Type.String({ maxLength: Math.ceil((MAX_VECTOR_LENGTH * 8) / 3) * 4, pattern: '^[A-Za-z0-9+/]*={0,2}$' })
const NodeIds = Type.Array(NodeIdText, { minItems: 1, maxItems: MAX_PARTICIPANTS })

export const SessionTerms = Type.Object(
  {
    sessionId: SessionIdText,
    aggregator: NodeIdText,
    participants: NodeIds,
    threshold: Type.Integer({ minimum: 2, maximum: MAX_PARTICIPANTS }),
    length: Type.Integer({ minimum: 1, maximum: MAX_VECTOR_LENGTH }),
    fractionalBits: Type.Integer({ minimum: 0, maximum: 32 }),
    roundTimeoutMs: Type.Integer({ minimum: MIN_ROUND_TIMEOUT_MS, maximum: MAX_ROUND_TIMEOUT_MS })
  },
  { additionalProperties: false }
)
export type SessionTerms = Static<typeof SessionTerms>

const Advertise = Type.Object({ sessionId: SessionIdText, cPk: PublicKeyHex, sPk: PublicKeyHex }, { additionalProperties: false })
const Shares = Type.Object(
  {
    sessionId: SessionIdText,
    boxes: Type.Array(Type.Object({ to: NodeIdText, box: BoxText }, { additionalProperties: false }), { maxItems: MAX_PARTICIPANTS })
  },
  { additionalProperties: false }
)
const Masked = Type.Object({ sessionId: SessionIdText, masked: MaskedText }, { additionalProperties: false })
const Survivors = Type.Object({ sessionId: SessionIdText, survivors: NodeIds }, { additionalProperties: false })
const ShareOf = Type.Object({ of: NodeIdText, y: FieldHex }, { additionalProperties: false })
const Unmask = Type.Object(
  {
    sessionId: SessionIdText,
    selfShares: Type.Array(ShareOf, { maxItems: MAX_PARTICIPANTS }),
    keyShares: Type.Array(ShareOf, { maxItems: MAX_PARTICIPANTS })
  },
  { additionalProperties: false }
)

export type AdvertisePayload = Static<typeof Advertise>
export type SharesPayload = Static<typeof Shares>
export type MaskedPayload = Static<typeof Masked>
export type SurvivorsPayload = Static<typeof Survivors>
export type UnmaskPayload = Static<typeof Unmask>

/** The envelope type of each signed message, and its payload's schema. */
export const ENVELOPE_TYPES = {
  session: 'agora-secagg-session',
  advertise: 'agora-secagg-advertise',
  shares: 'agora-secagg-shares',
  masked: 'agora-secagg-masked',
  survivors: 'agora-secagg-survivors',
  consistency: 'agora-secagg-consistency',
  unmask: 'agora-secagg-unmask'
} as const

export const PAYLOADS = {
  session: validator(SessionTerms, 'secagg session'),
  advertise: validator(Advertise, 'secagg advertise'),
  shares: validator(Shares, 'secagg shares'),
  masked: validator(Masked, 'secagg masked input'),
  survivors: validator(Survivors, 'secagg survivors'),
  consistency: validator(Survivors, 'secagg consistency'),
  unmask: validator(Unmask, 'secagg unmask')
} as const

const Envelope = SignedEnvelopeSchema
export type WireEnvelope = Static<typeof Envelope>
const Round = Type.Union([Type.Literal('advertise'), Type.Literal('shares'), Type.Literal('masked'), Type.Literal('consistency'), Type.Literal('unmask')])

export const SecaggRequest = Type.Union([
  Type.Object({ op: Type.Literal('session'), sessionId: SessionIdText }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('submit'), round: Round, envelope: Envelope }, { additionalProperties: false }),
  Type.Object(
    { op: Type.Literal('outcome'), sessionId: SessionIdText, round: Round, waitMs: Type.Integer({ minimum: 0, maximum: MAX_POLL_MS }) },
    { additionalProperties: false }
  )
])
export type SecaggRequest = Static<typeof SecaggRequest>

export const SecaggResponse = Type.Object(
  {
    session: Type.Optional(Envelope),
    accepted: Type.Optional(Type.Literal(true)),
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
    /** advertise: every AdvertiseKeys message of the round. */
    keys: Type.Optional(Type.Array(Envelope, { maxItems: MAX_PARTICIPANTS })),
    /** shares: who shared (U2), and the boxes addressed to the asking owner. */
    sharers: Type.Optional(NodeIds),
    boxes: Type.Optional(Type.Array(Type.Object({ from: NodeIdText, box: BoxText }, { additionalProperties: false }), { maxItems: MAX_PARTICIPANTS })),
    /** masked: the aggregator's signed list of the owners whose masked input it holds (U3). */
    survivors: Type.Optional(Envelope),
    /** consistency: every owner's signed view of the survivors. */
    checks: Type.Optional(Type.Array(Envelope, { maxItems: MAX_PARTICIPANTS }))
  },
  { additionalProperties: false }
)
export type SecaggResponse = Static<typeof SecaggResponse>

export const SECAGG_PROTOCOL = defineProtocol({
  name: SECAGG_PROTOCOL_NAME,
  request: SecaggRequest,
  response: SecaggResponse,
  maxRequestBytes: MAX_VECTOR_LENGTH * 12 + 16 * 1024,
  maxResponseBytes: 512 * 1024,
  timeoutMs: MAX_POLL_MS + 15_000,
  // Owners' sites are often behind NATs; masked vectors fit a relay's budget.
  overRelay: true
})

export const SECAGG_URL_SCHEME = 'agora-secagg:'
const URL_PATTERN = /^agora-secagg:(0x[0-9a-fA-F]{40})\/([0-9a-f]{32})$/

export function sessionUrl(aggregator: NodeId, sessionId: string): string {
  return `${SECAGG_URL_SCHEME}${aggregator}/${sessionId}`
}

export function parseSessionUrl(url: string): { aggregator: NodeId; sessionId: string } {
  const match = URL_PATTERN.exec(url)
  if (match === null) throw new CodedError('BadRequest', 'a secure aggregation target is agora-secagg:<aggregator node id>/<session id>')
  return { aggregator: parseNodeId(match[1]), sessionId: match[2]! }
}
