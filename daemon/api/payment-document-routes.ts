// Debit notes and invoices in the Payment API v1: read them, their payments,
// and the provider-side operations the spec lists. Agora's daemon issues and
// sends its documents itself — a debit note at the agreement's interval from
// the exe-unit's usage counters, the invoice when the agreement ends — over its
// durable outbox, so issuing one by hand is refused (400), sending one answers
// at once (it is on its way), and cancelling one is refused (409: a later
// debit note or the invoice supersedes it).
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import { PaymentError } from '../../payment/index.ts'
import type { DebitNote, Invoice, Payment, PaymentApi } from '../../payment/index.ts'
import {
  AckQuery,
  DebitNote as DebitNoteSchema,
  DEFAULT_MAX_ITEMS,
  Invoice as InvoiceSchema,
  ListQuery,
  Ok,
  Payment as PaymentSchema,
  PaymentId,
  paymentErrors
} from './payment-schemas.ts'
import { debitNoteWire, invoiceWire, parseTime, paymentWire } from './payment-wire.ts'
import { errorResponses } from './schemas.ts'

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
        body: Type.Object(Type.Partial(kind.schema).properties, { additionalProperties: false }),
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

export function registerDocumentRoutes(instance: FastifyInstance, api: PaymentApi): void {
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
}
