// What the golem-js compatibility tests share: a provider offer as a Golem
// provider agent writes it for golem-js's demands, a demand prototype builder
// that behaves as golem-js's own (which it does not export), a logger that
// keeps what golem-js reports, and the first value of one of its observables.
import type { Logger } from '@golem-sdk/golem-js'

/** The payment platform both sides name (settlement itself is the payment API's). */
export const PAYMENT_PLATFORM = 'erc20-holesky-tglm'

/** An offer golem-js's demand (BasicDemandDirector + WorkloadDemandDirector) matches. */
export function golemOffer(providerId: string, runtime = 'wasmtime'): { properties: Record<string, unknown>; constraints: string } {
  return {
    properties: {
      'golem.node.id.name': `agora-${runtime}-provider`,
      'golem.node.debug.subnet': 'public',
      'golem.srv.caps.multi-activity': true,
      'golem.inf.cpu.cores': 1,
      'golem.inf.cpu.threads': 1,
      'golem.inf.mem.gib': 1,
      'golem.inf.storage.gib': 2,
      'golem.runtime.name': runtime,
      'golem.com.pricing.model': 'linear',
      'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0],
      'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
      [`golem.com.payment.platform.${PAYMENT_PLATFORM}.address`]: providerId.toLowerCase()
    },
    constraints: '(golem.srv.comp.expiration>0)'
  }
}

type PropertyValue = string | number | boolean | string[] | number[]

/** golem-js's DemandBodyBuilder, as its directors use it (the class is not exported). */
export class DemandPrototypeBuilder {
  readonly #properties: Array<{ key: string; value: PropertyValue }> = []
  readonly #constraints: string[] = []

  addProperty(key: string, value: PropertyValue): this {
    const at = this.#properties.findIndex(property => property.key === key)
    if (at >= 0) this.#properties[at] = { key, value }
    else this.#properties.push({ key, value })
    return this
  }

  addConstraint(key: string, value: string | number, operator = '='): this {
    this.#constraints.push(`(${key}${operator}${value})`)
    return this
  }

  getProduct(): { properties: Array<{ key: string; value: PropertyValue }>; constraints: string[] } {
    return { properties: [...this.#properties], constraints: [...this.#constraints] }
  }

  /**
   * The settings golem-js's WorkloadDemandDirectorConfig fills in (that class
   * is not exported either), with the caller's choices over them.
   */
  static workloadConfig(options: { runtime: { name: string }; imageUrl: string; imageHash: string; expirationSec?: number }): never {
    return {
      packageFormat: 'gvmkit-squash',
      minMemGib: 0.5,
      minStorageGib: 2,
      minCpuThreads: 1,
      minCpuCores: 1,
      capabilities: [],
      useHttps: false,
      expirationSec: 3600,
      ...options
    } as never
  }
}

export interface RecordingLogger extends Logger {
  /** The errors and warnings golem-js logged, with their context: one line per distinct one, with its count. */
  errors: () => string[]
}

/** A golem-js logger that keeps its warnings and errors (they explain a failure). */
export function recordingLogger(): RecordingLogger {
  const kept = new Map<string, number>()
  const make = (namespace: string): RecordingLogger => {
    const keep = (level: string) => (msg: string, ctx?: unknown) => {
      const line = `${level} ${namespace}: ${msg} ${describe(ctx)}`
      kept.set(line, (kept.get(line) ?? 0) + 1)
    }
    const ignore = (): void => {}
    return {
      child: child => make(`${namespace}:${child}`),
      debug: ignore,
      info: ignore,
      warn: keep('warn'),
      error: keep('error'),
      errors: () => [...kept].map(([line, count]) => `${count}× ${line}`)
    }
  }
  return make('golem-js')
}

function describe(ctx: unknown): string {
  if (ctx === undefined) return ''
  if (ctx instanceof Error) return `${ctx.name}: ${ctx.message}`
  try {
    return JSON.stringify(ctx, (_key, value: unknown) => (value instanceof Error ? `${value.name}: ${value.message}` : value)).slice(0, 400)
  } catch {
    return String(ctx)
  }
}

interface Subscribable<T> {
  subscribe: (observer: { next: (value: T) => void; error: (error: unknown) => void; complete: () => void }) => { unsubscribe: () => void }
}

export interface Watched<T> {
  value: T
  /** Ends the subscription (for golem-js's market streams: unsubscribes the demand). */
  unsubscribe: () => void
}

/** The first value of an observable that passes `test`, still subscribed; fails (unsubscribed) after `ms`. */
export async function firstOf<T>(source: Subscribable<T>, test: (value: T) => boolean, ms: number): Promise<Watched<T>> {
  let subscription: { unsubscribe: () => void } | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    const value = await new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no matching value within ${ms} ms`)), ms)
      subscription = source.subscribe({
        next: value => {
          if (test(value)) resolve(value)
        },
        // golem-js passes on EventSource's error events, which are not Errors.
        error: (error: unknown) => reject(error instanceof Error ? error : new Error(`the stream failed: ${describe(error)}`)),
        complete: () => reject(new Error('the observable completed without a matching value'))
      })
    })
    return { value, unsubscribe: () => subscription?.unsubscribe() }
  } catch (error) {
    subscription?.unsubscribe()
    throw error
  } finally {
    clearTimeout(timer)
  }
}
