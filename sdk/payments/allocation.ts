// The allocation a connection's rentals are paid from: a budget reserved on
// the requester's daemon (POST /payment-api/v1/allocations), and the
// properties and constraints a demand must carry to be paid from it
// (GET /payment-api/v1/demandDecorations). Amounts cross the wire as decimal
// token strings and are exact bigint base units here.
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import type { ApiClient } from '../client/api-client.ts'
import type { AllocationHandle } from './payment-guard.ts'

interface AllocationWire {
  readonly allocationId: string
  readonly address: string
  readonly paymentPlatform: string
  readonly totalAmount: string
}

interface DecorationWire {
  readonly properties: readonly { readonly key: string; readonly value: unknown }[]
  readonly constraints: readonly string[]
}

export interface OpenAllocationOptions {
  /** Base units. */
  readonly total: bigint
  /** Default: the daemon's default platform. */
  readonly platform?: string
  /** When the daemon releases it by itself (default: never before it is released). */
  readonly timeout?: Date
  readonly signal?: AbortSignal
}

/** An allocation the SDK holds; `grow` adds to its total for one more rental (serialised). */
export interface SdkAllocation extends AllocationHandle {
  grow(by: bigint): Promise<void>
}

export async function openAllocation(api: ApiClient, options: OpenAllocationOptions): Promise<SdkAllocation> {
  const body: Record<string, unknown> = { totalAmount: formatAmount(options.total) }
  if (options.platform !== undefined) body.paymentPlatform = options.platform
  if (options.timeout !== undefined) body.timeout = options.timeout.toISOString()
  const signal = options.signal
  const created = await api.call<AllocationWire>('POST', '/payment-api/v1/allocations', { body, ...(signal === undefined ? {} : { signal }) })
  const allocationId = created.allocationId
  try {
    const wire = await api.call<DecorationWire>('GET', '/payment-api/v1/demandDecorations', {
      query: { allocationIds: allocationId },
      ...(signal === undefined ? {} : { signal })
    })
    return new OpenAllocation(api, created, {
      properties: Object.fromEntries(wire.properties.map(property => [property.key, property.value])),
      constraints: [...wire.constraints]
    })
  } catch (error) {
    await api.call('DELETE', `/payment-api/v1/allocations/${allocationId}`).catch(() => {})
    throw error
  }
}

class OpenAllocation implements SdkAllocation {
  readonly allocationId: string
  readonly platform: string
  readonly address: string
  readonly decoration: AllocationHandle['decoration']
  readonly #api: ApiClient
  #total: bigint
  #released: Promise<void> | undefined
  /** Amendments one after another, so two rentals' grows never overwrite each other. */
  #pending: Promise<void> = Promise.resolve()

  constructor(api: ApiClient, wire: AllocationWire, decoration: AllocationHandle['decoration']) {
    this.#api = api
    this.allocationId = wire.allocationId
    this.platform = wire.paymentPlatform
    this.address = wire.address
    this.#total = parseAmount(wire.totalAmount, 'totalAmount')
    this.decoration = decoration
  }

  get total(): bigint {
    return this.#total
  }

  async grow(by: bigint): Promise<void> {
    const next = this.#pending.then(async () => {
      const total = this.#total + by
      await this.#api.call('PUT', `/payment-api/v1/allocations/${this.allocationId}`, { body: { totalAmount: formatAmount(total) } })
      this.#total = total
    })
    this.#pending = next.catch(() => {})
    await next
  }

  async release(): Promise<void> {
    this.#released ??= this.#api.call<void>('DELETE', `/payment-api/v1/allocations/${this.allocationId}`).catch((error: unknown) => {
      // Released already (by its timeout, or spent and closed): nothing is left to give back.
      if ((error as { code?: string }).code !== 'Gone' && (error as { code?: string }).code !== 'NotFound') throw error
    })
    await this.#released
  }
}
