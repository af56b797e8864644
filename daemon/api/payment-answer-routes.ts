// Accepting and rejecting debit notes and invoices (the requester's), with
// golem-js's bodies: amounts parsed strictly before the payment module sees them.
import type { FastifyInstance, FastifyReply } from 'fastify'
import Type from 'typebox'
import { parseAmount } from '../../payment/index.ts'
import type { PaymentApi } from '../../payment/index.ts'
import { AcceptanceBody, AckQuery, Ok, PaymentId, RejectionBody, paymentErrors } from './payment-schemas.ts'
import { rejectionOf } from './payment-wire.ts'
import { errorResponses } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

/** The accept and reject routes of one kind of document. */
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

export function registerAnswerRoutes(instance: FastifyInstance, api: PaymentApi): void {
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
}
