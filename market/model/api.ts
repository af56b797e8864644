// The market's records in the shape of the ya-client market API (v1), so the
// REST layer returns them as they are. Schemas double as OpenAPI documentation.
import Type from 'typebox'
import type { Static } from 'typebox'
import { TERMS_LIMITS } from './limits.ts'

const Timestamp = Type.String({ format: 'date-time' })
export const Properties = Type.Record(Type.String(), Type.Unknown(), { description: 'Properties in flat convention (dotted keys).' })
import { Reason } from './reason.ts'

// One schema with the wire's bounds (see reason.ts).
export { Reason }

// The terms' own bounds, so the cheap refusals happen in the schema; the
// signed size (MAX_SIGNED_TERMS_BYTES) is checked by the market before it stores anything.
export const DemandOfferBase = Type.Object(
  {
    properties: Type.Record(Type.String({ maxLength: TERMS_LIMITS.maxKeyLength }), Type.Unknown(), {
      maxProperties: TERMS_LIMITS.maxProperties,
      description: 'Flat (dotted keys) or nested JSON.'
    }),
    constraints: Type.String({ maxLength: TERMS_LIMITS.maxConstraintLength })
  },
  { additionalProperties: false }
)
export type DemandOfferBase = Static<typeof DemandOfferBase>

/** What every offer and demand states, after its id and issuer (in this order on the wire). */
const PublishedFields = { properties: Properties, constraints: Type.String(), timestamp: Timestamp }

export const Offer = Type.Object({ offerId: Type.String(), providerId: Type.String(), ...PublishedFields })
export type Offer = Static<typeof Offer>

export const Demand = Type.Object({ demandId: Type.String(), requestorId: Type.String(), ...PublishedFields })
export type Demand = Static<typeof Demand>

export const ProposalState = Type.Union([
  Type.Literal('Initial'),
  Type.Literal('Draft'),
  Type.Literal('Rejected'),
  Type.Literal('Accepted'),
  Type.Literal('Expired')
])
export type ProposalState = Static<typeof ProposalState>

export const Proposal = Type.Object({
  proposalId: Type.String(),
  issuerId: Type.String(),
  state: ProposalState,
  timestamp: Timestamp,
  prevProposalId: Type.Optional(Type.String()),
  properties: Properties,
  constraints: Type.String()
})
export type Proposal = Static<typeof Proposal>

export const AgreementState = Type.Union([
  Type.Literal('Proposal'),
  Type.Literal('Pending'),
  Type.Literal('Cancelled'),
  Type.Literal('Rejected'),
  Type.Literal('Approved'),
  Type.Literal('Expired'),
  Type.Literal('Terminated')
])
export type AgreementState = Static<typeof AgreementState>

export const Agreement = Type.Object({
  agreementId: Type.String(),
  demand: Demand,
  offer: Offer,
  validTo: Timestamp,
  approvedDate: Type.Optional(Timestamp),
  state: AgreementState,
  timestamp: Timestamp,
  appSessionId: Type.Optional(Type.String()),
  proposedSignature: Type.Optional(Type.String()),
  approvedSignature: Type.Optional(Type.String()),
  committedSignature: Type.Optional(Type.String())
})
export type Agreement = Static<typeof Agreement>

export const AgreementListEntry = Type.Object({
  id: Type.String(),
  timestamp: Timestamp,
  approvedDate: Type.Optional(Timestamp),
  role: Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')])
})
export type AgreementListEntry = Static<typeof AgreementListEntry>

export const MarketEvent = Type.Union([
  Type.Object({ eventType: Type.Literal('ProposalEvent'), eventDate: Timestamp, proposal: Proposal }),
  Type.Object({ eventType: Type.Literal('ProposalRejectedEvent'), eventDate: Timestamp, proposalId: Type.String(), reason: Type.Optional(Reason) }),
  Type.Object({ eventType: Type.Literal('AgreementEvent'), eventDate: Timestamp, agreement: Agreement })
])
export type MarketEvent = Static<typeof MarketEvent>

export const AgreementOperationEvent = Type.Object({
  eventType: Type.Union([
    Type.Literal('AgreementApprovedEvent'),
    Type.Literal('AgreementRejectedEvent'),
    Type.Literal('AgreementCancelledEvent'),
    Type.Literal('AgreementTerminatedEvent')
  ]),
  eventDate: Timestamp,
  agreementId: Type.String(),
  reason: Type.Optional(Reason),
  terminator: Type.Optional(Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')])),
  signature: Type.Optional(Type.String())
})
export type AgreementOperationEvent = Static<typeof AgreementOperationEvent>
