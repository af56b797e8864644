// A batch's runtime events as Server-Sent Events, framed as yagna frames them:
// `event: runtime`, `data: <RuntimeEvent>`, `id: <n>`. Each event names its
// fields both as activity-api.yaml does (batchId, returnCode) and as yagna and
// golem-js do (batch_id, return_code), so clients of either kind read them;
// output comes bare, as yagna sends it (see runtime-event-wire.ts).
import type { FastifyReply } from 'fastify'
import type { ActivityDesk, RuntimeEvent } from '../../exe-unit/index.ts'
import { clientGone } from './client-gone.ts'
import { errorAnswer } from './errors.ts'
import { yagnaOutputKind } from './runtime-event-wire.ts'

/** How long one poll of the provider waits while streaming events. */
const STREAM_POLL_MS = 15_000

/** One event as it goes on the wire. */
export function wireEvent(event: RuntimeEvent): Record<string, unknown> {
  const { kind } = event
  const wireKind =
    'finished' in kind
      ? {
          finished: {
            returnCode: kind.finished.returnCode,
            return_code: kind.finished.returnCode,
            ...(kind.finished.message === undefined ? {} : { message: kind.finished.message })
          }
        }
      : yagnaOutputKind(kind)
  return { batchId: event.batchId, batch_id: event.batchId, index: event.index, timestamp: event.timestamp, kind: wireKind }
}

/**
 * Streams the batch's events after the `after`-th (an EventSource's
 * Last-Event-ID), ending when the batch has no more to give.
 */
export async function streamEvents(desk: ActivityDesk, activityId: string, batchId: string, after: number, reply: FastifyReply): Promise<void> {
  const gone = clientGone(reply)
  // The first poll runs before the stream opens, so an unknown batch is a plain 404.
  let page = await desk.events(activityId, batchId, after, 0, gone)
  reply.hijack()
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  let sent = after
  try {
    for (;;) {
      for (const event of page.events) {
        sent += 1
        reply.raw.write(`event: runtime\ndata: ${JSON.stringify(wireEvent(event))}\nid: ${sent}\n\n`)
      }
      if (page.done || gone.aborted) break
      if (page.events.length === 0) reply.raw.write(': waiting\n\n')
      page = await desk.events(activityId, batchId, sent, STREAM_POLL_MS, gone)
    }
  } catch (err) {
    if (!gone.aborted) reply.raw.write(`event: error\ndata: ${JSON.stringify(errorAnswer(err, reply.log).body)}\n\n`)
  } finally {
    reply.raw.end()
  }
}
