// The allocation a connection's rentals are paid from: a budget reserved on
// the requester's daemon (POST /payment-api/v1/allocations), and the
// properties and constraints a demand must carry to be paid from it
// (GET /payment-api/v1/demandDecorations). Amounts cross the wire as decimal
// token strings and are exact bigint base units here. openAllocation is the
// connection's (it grows per rental); createAllocation a fixed one whose
// release is idempotent, also after the daemon released it at its timeout.
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import type { ApiClient } from '../client/api-client.ts'
import { ApiError } from '../errors.ts'
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
