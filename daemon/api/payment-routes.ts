// Payment API v1 (ya-client payment-api.yaml) over the payment module's
// PaymentApi, exactly as golem-js 3.x calls it (docs/rest-api.md), and
// Agora's payment extras under /agora-api/v1/payment. PaymentErrors reach the
// client with their status through the API's error handler (errors.ts).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { PaymentApi } from '../../payment/index.ts'
import { registerAnswerRoutes } from './payment-answer-routes.ts'
import { registerDocumentRoutes } from './payment-document-routes.ts'
import { registerEventRoutes } from './payment-event-routes.ts'
import { paymentExtrasRoutes } from './payment-extras-routes.ts'
import {
  Account,
  Allocation,
  AllocationParams,
  AllocationUpdateBody,
  DecorationsQuery,
  DEFAULT_MAX_EVENTS,
  ListQuery,
  MarketDecoration,
  NewAllocationBody,
  Ok,
  Payment,
  PaymentParams,
  DriverStatusProperty,
  DriverStatusQuery,
  PaymentsQuery,
  paymentErrors
} from './payment-schemas.ts'
import { accountWire, allocationIdsOf, allocationUpdateOf, allocationWire, decorationWire, newAllocationOf, parseTime, paymentWire } from './payment-wire.ts'
import { driverStatus } from './payment-status.ts'
import { errorResponses } from './schemas.ts'
import type { ApiRoute } from './server.ts'
import type { TypeBoxProvider } from './type-provider.ts'

export const PAYMENT_API_PREFIX = '/payment-api/v1'
export const PAYMENT_EXTRAS_PREFIX = '/agora-api/v1/payment'

/** The routes the payment module serves: the Payment API and Agora's extras. */
export function paymentRoutes(api: PaymentApi): ApiRoute[] {
  return [
    { prefix: PAYMENT_API_PREFIX, plugin: paymentApiRoutes(api) },
    { prefix: PAYMENT_EXTRAS_PREFIX, plugin: paymentExtrasRoutes(api) }
  ]
}

function paymentApiRoutes(api: PaymentApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const requestor = ['requestor']
    const both = ['requestor', 'provider']

    app.post(
      '/allocations',
      {
        schema: {
          operationId: 'createAllocation',
          tags: requestor,
          // The spec lists them; an allocation is created whatever they say.
          querystring: ListQuery,
          body: NewAllocationBody,
          // 404: an unknown platform; 409: the funds do not cover it.
          response: { 201: Allocation, ...errorResponses(404, 409), 503: paymentErrors.change[503] }
        }
      },
      async (request, reply) => {
        const input = newAllocationOf(request.body)
        const allocation = await api.createAllocation(input)
        return reply.code(201).send(allocationWire(allocation))
      }
    )
    app.get('/allocations', { schema: { operationId: 'getAllocations', tags: requestor, response: { 200: Type.Array(Allocation) } } }, async () =>
      api.allocations().map(allocationWire)
    )
    app.get(
      '/allocations/:allocationId',
      { schema: { operationId: 'getAllocation', tags: requestor, params: AllocationParams, response: { 200: Allocation, ...paymentErrors.read } } },
      async request => allocationWire(api.allocation(request.params.allocationId))
    )
    app.put(
      '/allocations/:allocationId',
      {
        schema: {
          operationId: 'amendAllocation',
          tags: requestor,
          params: AllocationParams,
          body: AllocationUpdateBody,
          response: { 200: Allocation, ...paymentErrors.change }
        }
      },
      async request => allocationWire(await api.amendAllocation(request.params.allocationId, allocationUpdateOf(request.body)))
    )
    app.delete(
      '/allocations/:allocationId',
      {
        schema: {
          operationId: 'releaseAllocation',
          tags: requestor,
          params: AllocationParams,
          response: { 200: Ok, ...errorResponses(404, 410) }
        }
      },
      async (request, reply) => {
        await api.releaseAllocation(request.params.allocationId)
        return reply.code(200).send()
      }
    )
    app.get(
      '/demandDecorations',
      {
        schema: {
          operationId: 'getDemandDecorations',
          tags: requestor,
          querystring: DecorationsQuery,
          response: { 200: MarketDecoration, ...errorResponses(404, 410) }
        }
      },
      async request => decorationWire(api.demandDecoration(allocationIdsOf(request.query.allocationIds)))
    )

    registerDocumentRoutes(instance, api)
    registerAnswerRoutes(instance, api)
    registerEventRoutes(instance, api)

    app.get(
      '/payments',
      { schema: { operationId: 'getPayments', tags: both, querystring: PaymentsQuery, response: { 200: Type.Array(Payment) } } },
      async request => {
        const query = request.query
        const after = query.afterTimestamp === undefined ? undefined : parseTime(query.afterTimestamp, 'afterTimestamp')
        const platformOf = (name: string): boolean => {
          const [driver, network] = name.split('-')
          return (query.driver === undefined || driver === query.driver) && (query.network === undefined || network === query.network)
        }
        const payments = api.payments(after === undefined ? {} : { afterTimestamp: after })
        return payments
          .filter(payment => platformOf(payment.paymentPlatform))
          .slice(0, query.maxEvents ?? DEFAULT_MAX_EVENTS)
          .map(paymentWire)
      }
    )
    app.get(
      '/payments/status',
      {
        schema: {
          operationId: 'paymentsStatus',
          tags: both,
          querystring: DriverStatusQuery,
          response: { 200: Type.Array(DriverStatusProperty), ...errorResponses(404) }
        }
      },
      async request => await driverStatus(api, request.query)
    )
    app.get(
      '/payments/:paymentId',
      { schema: { operationId: 'getPayment', tags: both, params: PaymentParams, response: { 200: Payment, ...paymentErrors.read } } },
      async request => paymentWire(api.payment(request.params.paymentId))
    )
    app.get('/requestorAccounts', { schema: { operationId: 'getRequestorAccounts', tags: requestor, response: { 200: Type.Array(Account) } } }, async () =>
      api.accounts('Requestor').map(accountWire)
    )
    app.get(
      '/providerAccounts',
      { schema: { operationId: 'getProviderAccounts', tags: ['provider'], response: { 200: Type.Array(Account), ...errorResponses(404) } } },
      async () => api.accounts('Provider').map(accountWire)
    )
  }
}
