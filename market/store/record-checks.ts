// What a stored market record must look like to be loaded at start. A record
// that fails (torn, edited, written by a version that no longer exists) is set
// aside by the store, and the market starts without it.
import Type from 'typebox'
import { NodeIdText, parseNodeId, validator } from '../../net/index.ts'
import type { TSchema } from 'typebox'
import type { RecordCheck } from './market-store.ts'
import { AgreementPayload, ID_PATTERN, withCanonicalIds } from '../model/wire.ts'
import { AgreementOperationEvent, ProposalState, AgreementState } from '../model/api.ts'

const Id = Type.String({ pattern: ID_PATTERN })
const Millis = Type.Integer({ minimum: 0 })
const Properties = Type.Record(Type.String(), Type.Unknown())
const Role = Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')])

// Only the fields the market reads at once are pinned; a record may carry more.
const open = { additionalProperties: true }

const StoredSubscription = Type.Object(
  {
    kind: Type.Union([Type.Literal('offer'), Type.Literal('demand')]),
    id: Id,
    properties: Properties,
    constraints: Type.String(),
    timestamp: Type.String(),
    expiresAt: Millis,
    broadcast: Type.Boolean()
  },
  open
)

const StoredProposal = Type.Object(
  {
    proposalId: Type.String({ minLength: 1 }),
    issuerId: NodeIdText,
    own: Type.Boolean(),
    state: ProposalState,
    timestamp: Type.String(),
    expiresAt: Millis,
    properties: Properties,
    constraints: Type.String(),
    subscriptionId: Id,
    offerId: Id,
    demandId: Id,
    counterpartyId: NodeIdText
  },
  open
)

const StoredAgreement = Type.Object(
  {
    agreementId: Id,
    role: Role,
    state: AgreementState,
    terms: AgreementPayload,
    counterpartyId: NodeIdText
  },
  open
)

const StoredAgreementEvent = Type.Object(
  {
    event: AgreementOperationEvent,
    at: Millis
  },
  open
)

function checkOf(schema: TSchema, what: string): RecordCheck {
  const check = validator(schema, what)
  return (value, key) => check.parse(value, `${what} ${key}`)
}

export const storedSubscription = checkOf(StoredSubscription, 'stored subscription')

// Node ids come out in the one form (lowercase): records written by earlier
// versions hold the checksum form. Signed envelopes inside a record are kept as
// they were signed, so their signatures still verify.
type Ids = { issuerId: string; counterpartyId: string }
type AgreementIds = { counterpartyId: string; terms: AgreementPayload }
const proposalCheck = checkOf(StoredProposal, 'stored proposal')
const agreementCheck = checkOf(StoredAgreement, 'stored agreement')

export const storedProposal: RecordCheck = (value, key) => {
  const record = proposalCheck(value, key) as Ids
  return { ...record, issuerId: parseNodeId(record.issuerId), counterpartyId: parseNodeId(record.counterpartyId) }
}
export const storedAgreement: RecordCheck = (value, key) => {
  const record = agreementCheck(value, key) as AgreementIds
  return { ...record, counterpartyId: parseNodeId(record.counterpartyId), terms: withCanonicalIds(record.terms) }
}

export const storedAgreementEvent = checkOf(StoredAgreementEvent, 'stored agreement event')
