// The wire of an outbox: one request carries one signed message of a kind; the
// answer is an acknowledgement or a final refusal. Any other failure (timeout,
// unreachable, rate limited, a handler that could not finish) means "try again".
import Type from 'typebox'
import { defineProtocol } from '../protocol/definition.ts'
import { SignedEnvelopeSchema } from '../envelope/envelope-schema.ts'
import type { ProtocolDefinition } from '../protocol/definition.ts'
import type { Static } from 'typebox'

/** A message kind: what the receiving side dispatches on. */
export const MessageKind = Type.String({ pattern: '^[a-z][a-z0-9.-]{0,63}$' })

const Envelope = SignedEnvelopeSchema

export const OutboxRequest = Type.Object({ kind: MessageKind, envelope: Envelope }, { additionalProperties: false })
export type OutboxRequest = Static<typeof OutboxRequest>

export const MAX_REFUSAL_MESSAGE_LENGTH = 500

export const OutboxResponse = Type.Union([
  Type.Object({ result: Type.Literal('ack') }, { additionalProperties: false }),
  Type.Object(
    {
      result: Type.Literal('refused'),
      code: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,63}$' }),
      message: Type.String({ maxLength: MAX_REFUSAL_MESSAGE_LENGTH })
    },
    { additionalProperties: false }
  )
])
export type OutboxResponse = Static<typeof OutboxResponse>

export type OutboxProtocol = ProtocolDefinition<typeof OutboxRequest, typeof OutboxResponse>

/** Largest message an outbox carries (the whole request frame, in bytes of JSON). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024

/** `/agora/<owner>/outbox/1`: each module that sends durably has its own. */
export function outboxProtocol(owner: string, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): OutboxProtocol {
  return defineProtocol({
    name: `/agora/${owner}/outbox/1`,
    request: OutboxRequest,
    response: OutboxResponse,
    maxRequestBytes: maxMessageBytes,
    maxResponseBytes: 2048,
    timeoutMs: 10_000,
    // Debit notes, invoices and payment confirmations must reach a node behind a NAT.
    overRelay: true
  })
}
