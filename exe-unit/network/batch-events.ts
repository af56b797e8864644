// Runtime events of a batch from a cursor on: what is there now, or, when
// nothing is, the first that arrive within the wait. A requester turns
// repeated calls into a Server-Sent Events stream.
import type { ExeUnit } from '../exe-unit.ts'
import type { RuntimeEvent } from '../activity/types.ts'

/** After the first new event, gather what follows for this long before answering. */
const GATHER_MS = 10
const MAX_EVENTS = 500
/** Serialised events per answer, within a stream's 4 MiB read buffer (an output event carries at most 64 KiB). */
const MAX_EVENT_BYTES = 2 * 1024 * 1024

export interface BatchEvents {
  events: RuntimeEvent[]
  /** The batch has no more events to give. */
  done: boolean
}

export async function collectBatchEvents(
  exeUnit: ExeUnit,
  activityId: string,
  batchId: string,
  after: number,
  waitMs: number,
  signal: AbortSignal
): Promise<BatchEvents> {
  const stop = new AbortController()
  const abort = (): void => {
    stop.abort()
  }
  // Until the first new event, the caller's wait; after it, the gathering time.
  let timer = setTimeout(abort, waitMs)
  signal.addEventListener('abort', abort, { once: true })
  const events: RuntimeEvent[] = []
  let bytes = 0
  let done = false
  try {
    for await (const event of exeUnit.streamBatch(activityId, batchId, { from: after, signal: stop.signal })) {
      events.push(event)
      bytes += Buffer.byteLength(JSON.stringify(event))
      if (events.length >= MAX_EVENTS || bytes >= MAX_EVENT_BYTES) return { events, done: false }
      if (events.length === 1) {
        clearTimeout(timer)
        timer = setTimeout(abort, GATHER_MS)
      }
    }
    done = !stop.signal.aborted
  } catch (err) {
    if (!stop.signal.aborted) throw err
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', abort)
  }
  return { events, done }
}
