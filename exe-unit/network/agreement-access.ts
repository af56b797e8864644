// What the activity protocol needs to know of agreements, as an interface: the
// daemon answers it from the market, so that this module does not reach into it.
import type { NodeId } from '../../net/index.ts'

export interface AgreementView {
  agreementId: string
  /** This node's part in it. */
  role: 'Requestor' | 'Provider'
  state: string
  requestorId: string
  providerId: string
  /** Offer and demand properties merged (the offer's win on a clash). */
  properties: Record<string, unknown>
}

export type AgreementLookup = (agreementId: string) => AgreementView | undefined

/**
 * The provider's side: besides looking agreements up, a create from the
 * agreement's requester shows it holds our approval, which may be on its way
 * back to us still; `approvalShown` completes it and answers the state then.
 */
export interface AgreementAccess {
  lookup: AgreementLookup
  approvalShown: (agreementId: string, requesterId: NodeId) => Promise<string>
}
