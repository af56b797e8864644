// Debit notes and invoices in the Payment API v1: read, accept and reject (the
// requester's), their event long polls, and the provider-side operations the
// spec lists. Agora's daemon issues and sends its documents itself — a debit
// note at the agreement's interval from the exe-unit's usage counters, the
// invoice when the agreement ends — over its durable outbox, so issuing one by
// hand is refused (400), sending one answers at once (it is on its way), and
// cancelling one is refused (409: a later debit note or the invoice supersedes it).
import type { FastifyInstance, FastifyReply } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import { PaymentError, parseAmount } from '../../payment/index.ts'
import type { DebitNote, Invoice, Payment, PaymentApi } from '../../payment/index.ts'
import { clientGone } from './client-gone.ts'
import {
  AcceptanceBody,
  AckQuery,
  DebitNote as DebitNoteSchema,
  DebitNoteEvent,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_ITEMS,
  DEFAULT_POLL_SECONDS,
  EventQuery,
  Invoice as InvoiceSchema,
  InvoiceEvent,
  ListQuery,
  Ok,
  Payment as PaymentSchema,
  PaymentId,
  RejectionBody,
  paymentErrors
} from './payment-schemas.ts'
import { debitNoteEventWire, debitNoteWire, invoiceEventWire, invoiceWire, parseTime, paymentWire, rejectionOf } from './payment-wire.ts'
import { errorResponses } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

/** The server caps every wait, so a forgotten client cannot hold a request forever. */
export const MAX_POLL_MS = 5 * 60_000

/** A poll's `timeout` (seconds, the spec's pollTimeout) in ms, capped. */
export function pollMs(seconds: number = DEFAULT_POLL_SECONDS): number {
  return Math.min(MAX_POLL_MS, Math.round(seconds * 1000))
}

type ListQueryValue = Static<typeof ListQuery>

/** A list query's filter, its time parsed. */
export function listFilterOf(query: { afterTimestamp?: string; maxItems?: number }): { afterTimestamp?: number; maxItems: number } {
  return {
    ...(query.afterTimestamp === undefined ? {} : { afterTimestamp: parseTime(query.afterTimestamp, 'afterTimestamp') }),
    maxItems: query.maxItems ?? DEFAULT_MAX_ITEMS
  }
}

/** The payments after a time, at most so many (for the per-document lists). */
function paymentsAfter(payments: Payment[], query: { afterTimestamp?: string; maxItems?: number }): ReturnType<typeof paymentWire>[] {
  const filter = listFilterOf(query)
  const after = filter.afterTimestamp
  return payments
    .filter(payment => after === undefined || payment.timestamp > after)
    .slice(0, filter.maxItems)
    .map(paymentWire)
}

const ISSUED_BY_THE_DAEMON =
  "the daemon issues and sends its debit notes and invoices itself, from the agreement's pricing and the exe-unit's usage counters (docs/payments.md)"

interface DocumentKind<T> {
  /** `debitNotes` or `invoices`. */
  readonly path: string
  /** `DebitNote` or `Invoice`, as the spec's operation ids spell it. */
  readonly name: string
  readonly what: string
  readonly param: string
  readonly schema: typeof DebitNoteSchema | typeof InvoiceSchema
  read(id: string): T
  list(filter: { afterTimestamp?: number; maxItems: number }): T[]
  wire(document: T): unknown
  role(document: T): string
  payments(id: string): Payment[]
}

/** The routes of one kind of document (debit notes or invoices). */
function documentRoutes<T>(typed: FastifyInstance, kind: DocumentKind<T>): void {
  const Params = Type.Object({ [kind.param]: PaymentId })
  const idOf = (params: unknown): string => (params as Record<string, string>)[kind.param] as string
  const both = ['requestor', 'provider']

  typed.get(
    `/${kind.path}`,
    { schema: { operationId: `get${kind.name}s`, tags: both, querystring: ListQuery, response: { 200: Type.Array(kind.schema) } } },
    async request => kind.list(listFilterOf(request.query as ListQueryValue)).map(document => kind.wire(document))
  )
  typed.get(
    `/${kind.path}/:${kind.param}`,
    { schema: { operationId: `get${kind.name}`, tags: both, params: Params, response: { 200: kind.schema, ...paymentErrors.read } } },
    async request => kind.wire(kind.read(idOf(request.params)))
  )
  typed.get(
    `/${kind.path}/:${kind.param}/payments`,
    {
      schema: {
        operationId: `getPaymentsFor${kind.name}`,
        tags: both,
        params: Params,
        querystring: ListQuery,
        response: { 200: Type.Array(PaymentSchema), ...paymentErrors.read }
      }
    },
    async request => paymentsAfter(kind.payments(idOf(request.params)), request.query as ListQueryValue)
  )
  typed.post(
    `/${kind.path}`,
    {
      schema: {
        operationId: `issue${kind.name}`,
        tags: kind.path === 'invoices' ? both : ['provider'],
        body: Type.Partial(kind.schema),
        response: { 201: kind.schema }
      }
    },
    async () => {
      throw new PaymentError('BadRequest', `${kind.what}s are not issued through the API: ${ISSUED_BY_THE_DAEMON}`)
    }
  )
  // The provider's own document: anything else is, to this operation, not there.
  const own = (id: string): T => {
    const document = kind.read(id)
    if (kind.role(document) !== 'Provider') throw new PaymentError('NotFound', `no ${kind.what} ${id} issued by this node`)
    return document
  }
  typed.post(
    `/${kind.path}/:${kind.param}/send`,
    { schema: { operationId: `send${kind.name}`, tags: ['provider'], params: Params, querystring: AckQuery, response: { 200: Ok, ...errorResponses(404) } } },
    async (request, reply) => {
      own(idOf(request.params))
      return reply.code(200).send()
    }
  )
  typed.post(
    `/${kind.path}/:${kind.param}/cancel`,
    {
      schema: {
        operationId: `cancel${kind.name}`,
        tags: ['provider'],
        params: Params,
        querystring: AckQuery,
        response: { 200: Ok, ...errorResponses(404, 409) }
      }
    },
    async request => {
      const id = idOf(request.params)
      own(id)
      throw new PaymentError('Conflict', `${kind.what} ${id} cannot be cancelled: a later debit note or the invoice supersedes it`)
    }
  )
}

/** The accept and reject routes of one kind, and its event long poll. */
function answerRoutes(
  app: FastifyInstance,
  kind: { path: string; name: string; param: string },
  answer: {
    accept: (id: string, body: { totalAmountAccepted: string; allocationId: string }) => Promise<void>
    reject: (
      id: string,
      body: { rejectionReason: 'UNSOLICITED_SERVICE' | 'BAD_SERVICE' | 'INCORRECT_AMOUNT'; totalAmountAccepted: string; message?: string }
    ) => Promise<void>
  }
): void {
  const typed = app.withTypeProvider<TypeBoxProvider>()
  const Params = Type.Object({ [kind.param]: PaymentId })
  const idOf = (params: unknown): string => (params as Record<string, string>)[kind.param] as string
  const answered = (reply: FastifyReply): FastifyReply => reply.code(200).send()
  typed.post(
    `/${kind.path}/:${kind.param}/accept`,
    {
      schema: {
        operationId: `accept${kind.name}`,
        tags: ['requestor'],
        params: Params,
        querystring: AckQuery,
        body: AcceptanceBody,
        response: { 200: Ok, ...errorResponses(403), ...paymentErrors.change }
      }
    },
    async (request, reply) => {
      await answer.accept(idOf(request.params), request.body)
      return answered(reply)
    }
  )
  typed.post(
    `/${kind.path}/:${kind.param}/reject`,
    {
      schema: {
        operationId: `reject${kind.name}`,
        tags: ['requestor'],
        params: Params,
        querystring: AckQuery,
        body: RejectionBody,
        response: { 200: Ok, ...errorResponses(403), ...paymentErrors.change }
      }
    },
    async (request, reply) => {
      await answer.reject(idOf(request.params), request.body)
      return answered(reply)
    }
  )
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

export function registerDocumentRoutes(instance: FastifyInstance, api: PaymentApi): void {
  const app = instance.withTypeProvider<TypeBoxProvider>()
  documentRoutes<DebitNote>(instance, {
    path: 'debitNotes',
    name: 'DebitNote',
    what: 'debit note',
    param: 'debitNoteId',
    schema: DebitNoteSchema,
    read: id => api.debitNote(id),
    list: filter => api.debitNotes(filter),
    wire: debitNoteWire,
    role: note => note.role,
    payments: id => api.paymentsOfDebitNote(id)
  })
  documentRoutes<Invoice>(instance, {
    path: 'invoices',
    name: 'Invoice',
    what: 'invoice',
    param: 'invoiceId',
    schema: InvoiceSchema,
    read: id => api.invoice(id),
    list: filter => api.invoices(filter),
    wire: invoiceWire,
    role: invoice => invoice.role,
    payments: id => api.paymentsOfInvoice(id)
  })
  const acceptance = (body: { totalAmountAccepted: string; allocationId: string }) => ({
    totalAmountAccepted: parseAmount(body.totalAmountAccepted, 'totalAmountAccepted'),
    allocationId: body.allocationId
  })
  answerRoutes(
    instance,
    { path: 'debitNotes', name: 'DebitNote', param: 'debitNoteId' },
    {
      accept: async (id, body) => await api.acceptDebitNote(id, acceptance(body)),
      reject: async (id, body) => await api.rejectDebitNote(id, rejectionOf(body))
    }
  )
  answerRoutes(
    instance,
    { path: 'invoices', name: 'Invoice', param: 'invoiceId' },
    {
      accept: async (id, body) => await api.acceptInvoice(id, acceptance(body)),
      reject: async (id, body) => await api.rejectInvoice(id, rejectionOf(body))
    }
  )
  // Long polls: always 200 with a list, empty when the wait ends with nothing
  // (golem-js retries at once on any error status, spinning).
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
