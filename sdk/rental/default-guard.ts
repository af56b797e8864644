// The payment guard a connection uses when it is given none.
import type { Clock } from '../../net/kernel.ts'
import type { ApiClient } from '../client/api-client.ts'
import type { PaymentGuard } from '../payments/payment-guard.ts'
import type { RentalReport } from '../types.ts'

export function defaultGuard(_api: ApiClient, _clock: Clock): PaymentGuard {
  const watched = new Map<string, string>()
  return {
    watch: agreement => {
      watched.set(agreement.agreement.agreementId, agreement.agreement.offer.providerId)
    },
    acceptedTotal: () => 0n,
    settle: async (agreementId): Promise<RentalReport> => ({ agreementId, providerId: watched.get(agreementId) ?? '', cost: 0n, rejected: [] }),
    close: async () => {}
  }
}
