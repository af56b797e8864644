// The settlement of a node with no payment network configured: it knows no
// platform, so no agreement has payments, and asks of the chain are NotFound.
import { TypedEventEmitter } from '@libp2p/interface'
import { PaymentPlatforms } from '../chain/platforms.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { ProviderSettlementEvents, RequesterSettlementEvents, SettlementService } from '../settlement/settlement.ts'

export function noSettlement(): SettlementService {
  const none = async (): Promise<never> => {
    throw new PaymentError('NotFound', 'no payment network is configured on this node (modules.payment.networks)')
  }
  const requesterEvents = new TypedEventEmitter<RequesterSettlementEvents>()
  const providerEvents = new TypedEventEmitter<ProviderSettlementEvents>()
  return {
    platforms: new PaymentPlatforms([]),
    requester: {
      prepare: none,
      settleAccepted: none,
      held: () => undefined,
      finish: async () => {},
      addEventListener: (type, listener) => {
        requesterEvents.addEventListener(type, listener)
      },
      removeEventListener: (type, listener) => {
        requesterEvents.removeEventListener(type, listener)
      }
    },
    provider: {
      acceptVoucher: none,
      verifyPayout: none,
      agreementEnded: async () => {},
      addEventListener: (type, listener) => {
        providerEvents.addEventListener(type, listener)
      },
      removeEventListener: (type, listener) => {
        providerEvents.removeEventListener(type, listener)
      }
    },
    start: async () => {},
    stop: async () => {},
    balances: none,
    deposits: async () => [],
    claim: async () => ({ depositIds: [], amount: 0n }),
    fund: none
  }
}
