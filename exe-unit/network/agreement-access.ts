// What the activity protocol needs to know of agreements, as an interface: the
// daemon answers it from the market, so that this module does not reach into it.
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
