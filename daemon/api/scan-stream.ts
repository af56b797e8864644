// GET /market-api/v1/scan/{id}/events as Server-Sent Events, for clients that
// ask with `Accept: text/event-stream` (golem-js opens an EventSource there and
// listens for `event: offer`). Each item the scan finds is one event named by
// its type (`offer` or `demand`) whose data is the item's JSON; the stream
// stays open for new arrivals until the scan ends or the client goes away.
import type { FastifyReply } from 'fastify'
import { CodedError } from '../../net/index.ts'
import type { Market, MarketApi } from '../../market/index.ts'
import { clientGone } from './client-gone.ts'
import { errorAnswer } from './errors.ts'

/** How long one wait for new items lasts while streaming; a comment line follows an empty wait, so proxies keep the stream. */
const STREAM_WAIT_MS = 15_000
/** Items sent per read of the scan. */
const STREAM_BATCH = 100

export function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').includes('text/event-stream')
}

export async function streamScan(market: Market, scanId: string, peerId: string | undefined, reply: FastifyReply): Promise<void> {
  const gone = clientGone(reply)
  const read = async (waitMs: number): Promise<Array<MarketApi.Offer | MarketApi.Demand>> => {
    const options: Parameters<Market['collectScan']>[1] = { waitMs, max: STREAM_BATCH, signal: gone }
    if (peerId !== undefined) options.peerId = peerId
    return await market.collectScan(scanId, options)
  }
  // The first read runs before the stream opens, so an unknown scan is a plain 404.
  let items = await read(0)
  reply.hijack()
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  try {
    for (;;) {
      for (const item of items) reply.raw.write(`event: ${'offerId' in item ? 'offer' : 'demand'}\ndata: ${JSON.stringify(item)}\n\n`)
      if (gone.aborted) break
      if (items.length === 0) reply.raw.write(': waiting\n\n')
      items = await read(STREAM_WAIT_MS)
    }
  } catch (err) {
    // A scan ended (endScan, or by its owner elsewhere) closes the stream; anything else is told first.
    const ended = err instanceof CodedError && err.code === 'NotFound'
    if (!ended && !gone.aborted) reply.raw.write(`event: error\ndata: ${JSON.stringify(errorAnswer(err, reply.log).body)}\n\n`)
  } finally {
    reply.raw.end()
  }
}
