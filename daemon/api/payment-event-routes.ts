// The debit-note and invoice event long polls. They always answer 200 with a
// list, empty when the wait ends with nothing (its timeout, the client gone,
// the daemon stopping): golem-js polls again at once on any error status.
import type { FastifyInstance, FastifyReply } from 'fastify'
import Type from 'typebox'
import type { PaymentApi } from '../../payment/index.ts'
import { clientGone } from './client-gone.ts'
import { DebitNoteEvent, DEFAULT_MAX_EVENTS, DEFAULT_POLL_SECONDS, EventQuery, InvoiceEvent } from './payment-schemas.ts'
import { debitNoteEventWire, invoiceEventWire, parseTime } from './payment-wire.ts'
import type { TypeBoxProvider } from './type-provider.ts'

/** The server caps every wait, so a forgotten client cannot hold a request forever. */
export const MAX_POLL_MS = 5 * 60_000

/** A poll's `timeout` (seconds, the spec's pollTimeout) in ms, capped. */
export function pollMs(seconds: number = DEFAULT_POLL_SECONDS): number {
  return Math.min(MAX_POLL_MS, Math.round(seconds * 1000))
}

/** A poll's query, as the payment module takes it; ends when the client goes or the server closes. */
export function eventQueryOf(
  query: { timeout?: number; afterTimestamp?: string; maxEvents?: number; appSessionId?: string },
  reply: FastifyReply
): Parameters<PaymentApi['debitNoteEvents']>[0] {
  return {
    timeoutMs: pollMs(query.timeout),
    maxEvents: query.maxEvents ?? DEFAULT_MAX_EVENTS,
    ...(query.afterTimestamp === undefined ? {} : { afterTimestamp: parseTime(query.afterTimestamp, 'afterTimestamp') }),
    ...(query.appSessionId === undefined ? {} : { appSessionId: query.appSessionId }),
    signal: clientGone(reply)
  }
}

export function registerEventRoutes(instance: FastifyInstance, api: PaymentApi): void {
  const app = instance.withTypeProvider<TypeBoxProvider>()
  app.get(
    '/debitNoteEvents',
    { schema: { operationId: 'getDebitNoteEvents', tags: ['requestor', 'provider'], querystring: EventQuery, response: { 200: Type.Array(DebitNoteEvent) } } },
    async (request, reply) => (await api.debitNoteEvents(eventQueryOf(request.query, reply))).map(debitNoteEventWire)
  )
  app.get(
    '/invoiceEvents',
    { schema: { operationId: 'getInvoiceEvents', tags: ['requestor', 'provider'], querystring: EventQuery, response: { 200: Type.Array(InvoiceEvent) } } },
    async (request, reply) => (await api.invoiceEvents(eventQueryOf(request.query, reply))).map(invoiceEventWire)
  )
}
