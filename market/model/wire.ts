// What market nodes say to each other. Every payload here travels inside a
// signed envelope (net/envelope), so the issuer of each is the envelope signer.
import Type from 'typebox'
import { NodeIdText, parseNodeId } from '../../net/index.ts'
import { Reason } from './reason.ts'
import type { Static } from 'typebox'
import { TERMS_LIMITS } from './limits.ts'

export const ID_PATTERN = '^[0-9a-f]{64}$'
const Id = Type.String({ pattern: ID_PATTERN })
const Timestamp = Type.String({ format: 'date-time', maxLength: 40 })
const Millis = Type.Integer({ minimum: 0 })
// Flat properties, values unchecked: a proposal's are normalised on receipt
// (parseProposalBody); gossiped offers' and demands' are not, and the
// evaluator reads a value of an unexpected type as Undefined.
const WireProperties = Type.Record(Type.String({ minLength: 1, maxLength: TERMS_LIMITS.maxKeyLength }), Type.Unknown(), {
  maxProperties: TERMS_LIMITS.maxProperties
})
const Constraints = Type.String({ maxLength: TERMS_LIMITS.maxConstraintLength })

/** What every offer, demand and proposal states: its terms and when it was made. */
const TermsFields = { properties: WireProperties, constraints: Constraints, timestamp: Timestamp }

/** An offer, as spread on the `offers` broadcast topic. */
export const OfferPayload = Type.Object({ offerId: Id, ...TermsFields, expiresAt: Millis }, { additionalProperties: false })
export type OfferPayload = Static<typeof OfferPayload>

/** A demand, spread on the `demands` topic only when its requester asks for it. */
export const DemandPayload = Type.Object({ demandId: Id, ...TermsFields, expiresAt: Millis }, { additionalProperties: false })
export type DemandPayload = Static<typeof DemandPayload>

/** A counter-proposal sent directly to the other party. */
export const ProposalPayload = Type.Object(
  {
    proposalId: Id,
    prevProposalId: Id,
    offerId: Id,
    demandId: Id,
    ...TermsFields,
    expiresAt: Millis
  },
  { additionalProperties: false }
)
export type ProposalPayload = Static<typeof ProposalPayload>

const DemandTerms = Type.Object({ demandId: Id, requestorId: NodeIdText, ...TermsFields }, { additionalProperties: false })

const OfferTerms = Type.Object({ offerId: Id, providerId: NodeIdText, ...TermsFields }, { additionalProperties: false })

/** The agreement as the requester proposes and signs it. */
export const AgreementPayload = Type.Object(
  {
    agreementId: Id,
    demand: DemandTerms,
    offer: OfferTerms,
    demandProposalId: Id,
    offerProposalId: Id,
    validTo: Timestamp,
    timestamp: Timestamp
  },
  { additionalProperties: false }
)
export type AgreementPayload = Static<typeof AgreementPayload>

/** The terms with their node ids in the one form (lowercase): a requester of an earlier version signed the checksum form. */
export function withCanonicalIds(terms: AgreementPayload): AgreementPayload {
  return {
    ...terms,
    demand: { ...terms.demand, requestorId: parseNodeId(terms.demand.requestorId) },
    offer: { ...terms.offer, providerId: parseNodeId(terms.offer.providerId) }
  }
}

/** Provider's approval: signs the hash of the requester's signed agreement. */
export const ApprovalPayload = Type.Object(
  {
    agreementId: Id,
    agreementHash: Type.String({ pattern: '^0x[0-9a-f]{64}$' }),
    approvedDate: Timestamp
  },
  { additionalProperties: false }
)
export type ApprovalPayload = Static<typeof ApprovalPayload>

/** Reject, cancel or terminate: one party closing the agreement, with a reason. */
export const AgreementClosePayload = Type.Object(
  {
    agreementId: Id,
    action: Type.Union([Type.Literal('reject'), Type.Literal('cancel'), Type.Literal('terminate')]),
    reason: Type.Optional(Reason),
    timestamp: Timestamp
  },
  { additionalProperties: false }
)
export type AgreementClosePayload = Static<typeof AgreementClosePayload>

export const ProposalRejectionPayload = Type.Object(
  {
    proposalId: Id,
    reason: Type.Optional(Reason),
    timestamp: Timestamp
  },
  { additionalProperties: false }
)
export type ProposalRejectionPayload = Static<typeof ProposalRejectionPayload>

export const ENVELOPE_TYPES = {
  offer: 'market.offer',
  demand: 'market.demand',
  proposal: 'market.proposal',
  proposalRejection: 'market.proposal-rejection',
  agreement: 'market.agreement',
  approval: 'market.agreement-approval',
  close: 'market.agreement-close'
} as const
