// The payment guard a connection uses when it is given none: the SDK's own,
// which accepts what is honestly owed and rejects the rest.
import type { Clock } from '../../net/kernel.ts'
import type { ApiClient } from '../client/api-client.ts'
import { createPaymentGuard } from '../payments/index.ts'
import type { PaymentGuard } from '../payments/payment-guard.ts'

export function defaultGuard(api: ApiClient, clock: Clock): PaymentGuard {
  return createPaymentGuard(api, { clock })
}
