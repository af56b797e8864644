// One attempt of a task on one rental: the task's TaskContext.signal aborts at
// the attempt's timeout or the run's cancellation, and the attempt ends then
// even if the task does not listen (its rental is then destroyed, not reused).
import type { Clock } from '../../net/kernel.ts'
import { AbortedError, TimeoutError } from '../errors.ts'
import { onAbort } from '../pool/index.ts'
import type { Rental, Task } from '../types.ts'

export type AttemptOutcome<O> =
  | { readonly ok: true; readonly value: O }
  | { readonly ok: false; readonly error: Error; readonly cutShort: 'timeout' | 'cancelled' | undefined }

export interface AttemptInit<I, O> {
  readonly task: Task<I, O>
  readonly input: I
  readonly rental: Rental
  readonly attempt: number
  readonly timeoutMs: number | undefined
  readonly cancel: AbortSignal
  readonly clock: Clock
}

export async function runAttempt<I, O>(init: AttemptInit<I, O>): Promise<AttemptOutcome<O>> {
  const controller = new AbortController()
  let cutShort: 'timeout' | 'cancelled' | undefined
  let endEarly: (error: Error) => void = () => {}
  const early = new Promise<never>((_, reject) => {
    endEarly = reject
  })
  const cut = (why: 'timeout' | 'cancelled', error: Error): void => {
    if (cutShort !== undefined) return
    cutShort = why
    controller.abort(error)
    endEarly(error)
  }
  const timer =
    init.timeoutMs === undefined
      ? undefined
      : init.clock.setTimeout(() => cut('timeout', new TimeoutError(`attempt ${init.attempt} took longer than ${init.timeoutMs} ms`)), init.timeoutMs)
  const stopListening = onAbort(init.cancel, () => cut('cancelled', new AbortedError('the run was cancelled')))
  try {
    const running = Promise.resolve().then(() => init.task({ rental: init.rental, signal: controller.signal, attempt: init.attempt }, init.input))
    running.catch(() => {}) // a task that outlives its cut-off may still fail later
    const value = await Promise.race([running, early])
    return { ok: true, value }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)), cutShort }
  } finally {
    if (timer !== undefined) init.clock.clearTimeout(timer)
    stopListening()
  }
}
