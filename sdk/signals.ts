// Ctrl-C for a requester script: the first SIGINT/SIGTERM aborts the returned
// signal (a map stops taking tasks) and closes the client gracefully (every
// rental released: agreements terminated, what is honestly owed accepted),
// bounded by boundMs; a second one closes now, without waiting for invoices.
// Then the listeners are removed and the process exits 128 + the signal's
// number, as a shell expects (golem-js#219: Ctrl-C hangs on unpaid invoices).
import type { Clock, Logger } from '../net/kernel.ts'
import { silentLogger, systemClock } from '../net/kernel.ts'
import { SdkError } from './errors.ts'

export interface Closable {
  /** Releases every rental (`now`: terminates without waiting for invoices). */
  close(options?: { readonly now?: boolean }): Promise<unknown>
}

export type InterruptSignal = 'SIGINT' | 'SIGTERM'

export interface InterruptOptions {
  /** Most time the graceful close may take before the process exits anyway (ms; default 30,000). */
  readonly boundMs?: number
  /** Exit the process when closed (default true); false leaves it to the caller (`closed`). */
  readonly exit?: boolean
}

/** The part of `process` used, so a test can send signals without killing itself. */
export interface SignalSource {
  on(event: InterruptSignal, listener: () => void): unknown
  off(event: InterruptSignal, listener: () => void): unknown
  exit(code: number): void
}

export interface InterruptComponents {
  readonly process?: SignalSource
  readonly clock?: Clock
  readonly logger?: Logger
}

export interface InterruptHandle {
  /** Aborted at the first signal: pass it to map/rent so work stops at once. */
  readonly signal: AbortSignal
  /** Settles after the close an interruption began (never, if none comes). */
  readonly closed: Promise<{ readonly signal: InterruptSignal; readonly how: 'graceful' | 'now' | 'overran' }>
  /** Removes the listeners (done by itself after a close). */
  dispose(): void
}

const SIGNAL_NUMBERS: Record<InterruptSignal, number> = { SIGINT: 2, SIGTERM: 15 }
const DEFAULT_BOUND_MS = 30_000
/** How long a close "now" may take: it terminates, it does not wait for documents. */
const NOW_BOUND_MS = 5_000

export function onInterrupt(client: Closable, options: InterruptOptions = {}, components: InterruptComponents = {}): InterruptHandle {
  const boundMs = options.boundMs ?? DEFAULT_BOUND_MS
  if (!Number.isFinite(boundMs) || boundMs <= 0) throw new SdkError('BadRequest', `boundMs must be a number of milliseconds above 0, not ${String(boundMs)}`)
  const source = components.process ?? process
  const clock = components.clock ?? systemClock
  const log = (components.logger ?? silentLogger).child({ component: 'sdk:signals' })
  const interrupted = new AbortController()
  let finish: (outcome: Awaited<InterruptHandle['closed']>) => void = () => {}
  const closed = new Promise<Awaited<InterruptHandle['closed']>>(resolve => {
    finish = resolve
  })
  let first: InterruptSignal | undefined
  let done = false

  const within = <T>(ms: number, work: Promise<T>): Promise<T | 'overran'> => {
    let timer: unknown
    const bound = new Promise<'overran'>(resolve => {
      timer = clock.setTimeout(() => resolve('overran'), ms)
    })
    const quiet = work.catch((err: unknown) => {
      log.warn({ err }, 'closing the client failed')
      return undefined as T
    })
    return Promise.race([quiet, bound]).finally(() => clock.clearTimeout(timer))
  }

  const end = (signal: InterruptSignal, how: 'graceful' | 'now' | 'overran'): void => {
    if (done) return
    done = true
    dispose()
    finish({ signal, how })
    if (options.exit !== false) source.exit(128 + SIGNAL_NUMBERS[signal])
  }

  const onSignal = (signal: InterruptSignal): void => {
    if (first === undefined) {
      first = signal
      log.info({ signal, boundMs }, 'interrupted: releasing every rental (again to stop now)')
      interrupted.abort(new SdkError('Aborted', `interrupted by ${signal}`))
      void within(boundMs, client.close()).then(outcome => end(signal, outcome === 'overran' ? 'overran' : 'graceful'))
      return
    }
    log.warn({ signal }, 'interrupted again: closing now')
    void within(NOW_BOUND_MS, client.close({ now: true })).then(() => end(first ?? signal, 'now'))
  }

  const listeners = new Map<InterruptSignal, () => void>()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const listener = (): void => onSignal(signal)
    listeners.set(signal, listener)
    source.on(signal, listener)
  }
  const dispose = (): void => {
    for (const [signal, listener] of listeners) source.off(signal, listener)
    listeners.clear()
  }
  return { signal: interrupted.signal, closed, dispose }
}
