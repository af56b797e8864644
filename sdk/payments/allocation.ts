// A budget reserved on the requester's daemon (POST /payment-api/v1/allocations)
// and what a demand must carry to be paid from it (its demand decoration).
// Release is idempotent: a second call, or one after the daemon released the
// allocation at its timeout, changes nothing.
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import type { ApiClient } from '../client/api-client.ts'
import { ApiError } from '../errors.ts'
import type { AllocationHandle } from './payment-guard.ts'

const PAYMENT_API = '/payment-api/v1'

export interface AllocationOptions {
  /** Base units. */
  readonly budget: bigint
  /** Default: the daemon's default platform. */
  readonly platform?: string
  /** When the daemon releases it by itself (epoch ms). */
  readonly expiresAt?: number
  readonly signal?: AbortSignal
}

interface AllocationWire {
  readonly allocationId: string
  readonly address: string
  readonly paymentPlatform: string
  readonly totalAmount: string
}

interface DecorationWire {
  readonly properties: readonly { readonly key: string; readonly value: string }[]
  readonly constraints: readonly string[]
}

export async function createAllocation(api: ApiClient, options: AllocationOptions): Promise<AllocationHandle> {
  const signal = options.signal
  const created = await api.call<AllocationWire>('POST', `${PAYMENT_API}/allocations`, {
    body: {
      totalAmount: formatAmount(options.budget),
      ...(options.platform === undefined ? {} : { paymentPlatform: options.platform }),
      ...(options.expiresAt === undefined ? {} : { timeout: new Date(options.expiresAt).toISOString() })
    },
    ...(signal === undefined ? {} : { signal })
  })
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    try {
      await api.call('DELETE', `${PAYMENT_API}/allocations/${created.allocationId}`)
    } catch (err) {
      // Gone already (released at its timeout): what release wants is true.
      if (!(err instanceof ApiError && (err.status === 404 || err.status === 410))) throw err
    }
    released = true
  }
  let decoration: DecorationWire
  try {
    decoration = await api.call<DecorationWire>('GET', `${PAYMENT_API}/demandDecorations`, {
      query: { allocationIds: created.allocationId },
      ...(signal === undefined ? {} : { signal })
    })
  } catch (err) {
    await release().catch(() => undefined)
    throw err
  }
  return {
    allocationId: created.allocationId,
    platform: created.paymentPlatform,
    address: created.address,
    total: parseAmount(created.totalAmount, 'totalAmount'),
    decoration: {
      properties: Object.fromEntries(decoration.properties.map(({ key, value }) => [key, value])),
      constraints: [...decoration.constraints]
    },
    release
  }
}
