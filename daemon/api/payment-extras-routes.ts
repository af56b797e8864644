// Agora's payment extras (under /agora-api/v1/payment), which the CLI's
// `agora payment status|deposits|claim|fund` call: one account's amounts and
// balances on chain, escrow deposits as either side sees them, claiming
// verified vouchers, and test funds on a dev network; the long poll of the
// documents this node issues and the rejections of its documents, which the
// Golem events and documents do not give.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { PaymentApi } from '../../payment/index.ts'
import { eventQueryOf } from './payment-event-routes.ts'
import {
  ClaimBody,
  ClaimOutcome,
  DepositView,
  DocumentRejection,
  EventQuery,
  FundBody,
  FundOutcome,
  InvoiceMandate,
  InvoiceMandateParams,
  IssuedEvent,
  NewInvoiceMandateBody,
  PaymentStatus,
  paymentErrors,
  StatusQuery
} from './payment-schemas.ts'
import { statusPlatform } from './payment-status.ts'
import { claimWire, depositWire, fundWire, invoiceMandateWire, issuedEventWire, newInvoiceMandateOf, rejectionsWire, statusWire } from './payment-wire.ts'
import { errorResponses } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

export function paymentExtrasRoutes(api: PaymentApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const tags = ['agora-payment']
    app.get(
      '/status',
      {
        schema: {
          operationId: 'agoraPaymentStatus',
          tags,
          querystring: StatusQuery,
          response: { 200: PaymentStatus, ...errorResponses(404), ...paymentErrors.chain }
        }
      },
      async request => {
        const platform = statusPlatform(api, request.query)
        const address = request.query.address?.toLowerCase()
        return statusWire(await api.status({ ...(platform === undefined ? {} : { platform }), ...(address === undefined ? {} : { address }) }))
      }
    )
    app.get(
      '/deposits',
      { schema: { operationId: 'agoraPaymentDeposits', tags, response: { 200: Type.Array(DepositView), 503: paymentErrors.chain[503] } } },
      async () => (await api.deposits()).map(depositWire)
    )
    app.post(
      '/claim',
      {
        schema: {
          operationId: 'agoraPaymentClaim',
          tags,
          // 403: a deposit of another provider; 404: no such deposit.
          body: Type.Union([ClaimBody, Type.Null()]),
          response: { 200: ClaimOutcome, ...errorResponses(403), ...paymentErrors.chain }
        }
      },
      async request => {
        const body = request.body ?? {}
        return claimWire(
          await api.claim({ ...(body.depositIds === undefined ? {} : { depositIds: body.depositIds }), ...(body.all === undefined ? {} : { all: body.all }) })
        )
      }
    )
    // Like the Golem event polls (same query, same machinery): 200 with a list, empty when the wait ends with nothing.
    app.get(
      '/issuedEvents',
      { schema: { operationId: 'agoraPaymentIssuedEvents', tags, querystring: EventQuery, response: { 200: Type.Array(IssuedEvent) } } },
      async (request, reply) => (await api.issuedEvents(eventQueryOf(request.query, reply))).map(issuedEventWire)
    )
    // The Golem document has no rejection field and its event log only grows: this reads the ledger's
    // documents (in memory), so its cost follows the documents held, not the events ever written.
    app.get('/rejections', { schema: { operationId: 'agoraPaymentRejections', tags, response: { 200: Type.Array(DocumentRejection) } } }, async () =>
      rejectionsWire(api.debitNotes(), api.invoices())
    )
    app.post(
      '/invoice-mandates',
      {
        schema: {
          operationId: 'agoraPaymentCreateInvoiceMandate',
          tags,
          description:
            'Hands the invoice of a terminated agreement to this daemon, for when no client is left to answer it: accepted when it asks at most maxAmount, from an allocation carved out of allocationId; rejected (INCORRECT_AMOUNT) when it asks more. An invoice here already is answered at once. The same mandate again changes nothing.',
          body: NewInvoiceMandateBody,
          // 404: no such agreement or allocation; 409: not terminated, its invoice answered already, the allocation too small, another mandate; 410: the allocation was released.
          response: { 201: InvoiceMandate, ...paymentErrors.change }
        }
      },
      async (request, reply) => {
        const mandate = await api.createInvoiceMandate(newInvoiceMandateOf(request.body))
        return reply.code(201).send(invoiceMandateWire(mandate))
      }
    )
    app.get('/invoice-mandates', { schema: { operationId: 'agoraPaymentInvoiceMandates', tags, response: { 200: Type.Array(InvoiceMandate) } } }, async () =>
      api.invoiceMandates().map(invoiceMandateWire)
    )
    app.get(
      '/invoice-mandates/:agreementId',
      { schema: { operationId: 'agoraPaymentInvoiceMandate', tags, params: InvoiceMandateParams, response: { 200: InvoiceMandate, ...paymentErrors.read } } },
      async request => invoiceMandateWire(api.invoiceMandate(request.params.agreementId))
    )
    app.post(
      '/fund',
      {
        schema: {
          operationId: 'agoraPaymentFund',
          tags,
          // 403: the network has no faucet (not a dev or test network).
          body: Type.Union([FundBody, Type.Null()]),
          response: { 200: FundOutcome, ...errorResponses(403), ...paymentErrors.chain }
        }
      },
      async request => {
        const platform = request.body?.platform
        return fundWire(await api.fund(platform === undefined ? {} : { platform }))
      }
    )
  }
}
