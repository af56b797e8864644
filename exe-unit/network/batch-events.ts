// Runtime events of a batch from a cursor on: what is there now, or, when
// nothing is, the first that arrive within the wait. A requester turns
// repeated calls into a Server-Sent Events stream.
import type { ExeUnit } from '../exe-unit.ts'
import type { RuntimeEvent } from '../activity/types.ts'

/** After the first new event, gather what follows for this long before answering. */
const GATHER_MS = 10
const MAX_EVENTS = 500

export interface BatchEvents {
  events: RuntimeEvent[]
  /** The batch has no more events to give. */
  done: boolean
}

export async function collectBatchEvents (exeUnit: ExeUnit, activityId: string, batchId: string, after: number, waitMs: number, signal: AbortSignal): Promise<BatchEvents> {
  const stop = new AbortController()
  const timer = setTimeout(() => { stop.abort() }, waitMs)
  const onAbort = (): void => { stop.abort() }
  signal.addEventListener('abort', onAbort, { once: true })
  const events: RuntimeEvent[] = []
  let seen = 0
  let done = false
  try {
    const stream = exeUnit.streamBatch(activityId, batchId, { signal: stop.signal })
    for await (const event of stream) {
      if (seen++ < after) continue
      events.push(event)
      if (events.length >= MAX_EVENTS) return { events, done: false }
      if (events.length === 1) {
        clearTimeout(timer)
        setTimeout(() => { stop.abort() }, GATHER_MS)
      }
    }
    done = !stop.signal.aborted
  } catch (err) {
    if (!stop.signal.aborted) throw err
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
  return { events, done }
}
