// The allocation a connection's rentals share: created with the first rental's
// budget, grown by each later one (PUT totalAmount), each grow after the one
// before so that two rentals never overwrite each other's total. Each
// rental's own budget is the guard's to enforce. Each grow starts from the
// daemon's total, which an invoice mandate may have lowered.
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import type { ApiClient } from '../client/api-client.ts'
import { createAllocation } from './allocation.ts'
import type { AllocationOptions } from './allocation.ts'
import type { AllocationHandle } from './payment-guard.ts'

export interface SdkAllocation extends AllocationHandle {
  /** Adds `by` (base units; negative to give a budget back) to the total. */
  grow(by: bigint): Promise<void>
}

export async function openAllocation(api: ApiClient, options: AllocationOptions): Promise<SdkAllocation> {
  const handle = await createAllocation(api, options)
  let total = handle.total
  let pending: Promise<void> = Promise.resolve()
  return {
    allocationId: handle.allocationId,
    platform: handle.platform,
    address: handle.address,
    decoration: handle.decoration,
    get total() {
      return total
    },
    grow: async by => {
      const next = pending.then(async () => {
        // From the daemon's total: an invoice mandate carves its share out of it there.
        const current = await api.call<{ totalAmount: string }>('GET', `/payment-api/v1/allocations/${handle.allocationId}`)
        const amended = parseAmount(current.totalAmount, 'totalAmount') + by
        await api.call('PUT', `/payment-api/v1/allocations/${handle.allocationId}`, { body: { totalAmount: formatAmount(amended) } })
        total = amended
      })
      pending = next.catch(() => {})
      await next
    },
    release: async () => await handle.release()
  }
}
