// One policy check of the provider's negotiator chain: it reads the
// requester's side and ours, and says accept (with the values our
// counter-proposal carries), counter (the requester's proposal does not pass
// unchanged: our values instead) or reject (with the reason the requester sees).
import type { AuditInput, PolicyDecision, UseRequest } from '../../../custody/index.ts'
import type { NodeId } from '../../../net/index.ts'
import type { ProviderSettings } from '../model.ts'

/** Where the chain runs: on a requester's proposal, or on the agreement made from our counter-proposal. */
export type NegotiationStage = 'proposal' | 'agreement'

export interface NegotiationInput {
  readonly stage: NegotiationStage
  readonly requesterId: NodeId
  /** The requester's properties: its proposal's, or the agreement's demand. */
  readonly demand: Readonly<Record<string, unknown>>
  /** Ours: the offer as the agent published it, or the agreement's offer. */
  readonly offer: Readonly<Record<string, unknown>>
  /** The offer as the agent publishes it now (its preset's terms), for the price check at approval. */
  readonly published: Readonly<Record<string, unknown>>
  readonly settings: ProviderSettings
  /** Agreements this node provides under that count against the limit (not the one being approved). */
  readonly liveAgreements: number
  readonly supportsPlatform: (platform: string) => boolean
  /** epoch ms */
  readonly now: number
  /** The owner's datasets and policies, when this node keeps any (a demand naming a dataset is refused without). */
  readonly dataPolicy?: DataPolicyDesk
}

/** What the data-policy check asks of custody. */
export interface DataPolicyDesk {
  /** The owner's decision (a dataset this node does not keep is refused by the rule "dataset"); records nothing. */
  decide(request: UseRequest): PolicyDecision
  /** Audits the decision; the chain's answer is sent only once every entry it audited is written. */
  audit(entry: AuditInput): void
}

/** Properties the counter-proposal sets (undefined: removes). */
export type CounterProperties = Readonly<Record<string, unknown>>

export type CheckOutcome =
  | { readonly verdict: 'accept'; readonly properties?: CounterProperties }
  | { readonly verdict: 'counter'; readonly properties: CounterProperties; readonly why: string }
  | { readonly verdict: 'reject'; readonly code: ProviderRefusalCode; readonly message: string }

/** The `golem.provider.code` of a refusal; the check's name goes along as `agora.provider.check`. */
export type ProviderRefusalCode =
  | 'PaymentPlatform'
  | 'RequestorNotAllowed'
  | 'AgreementLimit'
  | 'Expiration'
  | 'DebitNoteInterval'
  | 'AcceptTimeout'
  | 'PaymentTimeout'
  | 'Price'
  | 'DataPolicy'

export interface NegotiationCheck {
  /** Kebab-case, as the reason's `agora.provider.check` names it. */
  readonly name: string
  check(input: NegotiationInput): CheckOutcome
}

export const accept = (properties?: CounterProperties): CheckOutcome => (properties === undefined ? { verdict: 'accept' } : { verdict: 'accept', properties })
export const counter = (properties: CounterProperties, why: string): CheckOutcome => ({ verdict: 'counter', properties, why })
export const reject = (code: ProviderRefusalCode, message: string): CheckOutcome => ({ verdict: 'reject', code, message })
