// The payment messages over the module's durable outbox (net/outbox,
// `/agora/payment/outbox/1`): each signed by its sender's node key, written in
// the same batch as the ledger change it reports, delivered until the peer
// acknowledges it, and handled once however often it arrives. On receipt the
// envelope is verified, its payload checked by schema, and the handler told
// who signed it; a refusal that no retry changes is final.
import { Outbox, refusingFinally, signEnvelope, verifyEnvelope } from '../../net/index.ts'
import type { Clock, NodeId, NodeKey, OutboxDb, OutboxHost, OutboxLogger, StoreOp } from '../../net/index.ts'
import { PaymentError } from '../model/payment-error.ts'
import { PAYLOADS } from './messages.ts'
import type { PaymentMessageKind } from './messages.ts'

/** Codes that no retry changes: the sender drops the message. */
export const PAYMENT_FINAL_CODES: ReadonlySet<string> = new Set(['BadRequest', 'NotFound', 'Forbidden', 'Conflict', 'Gone'])

export interface PaymentOutboxOptions {
  readonly host: OutboxHost
  /** The payment module's sublevel: messages go under `outbox:` there. */
  readonly db: OutboxDb
  readonly key: NodeKey
  readonly logger?: OutboxLogger
  readonly clock?: Clock
  readonly minRetryMs?: number
  readonly maxRetryMs?: number
}

/** What a handler is told of a message it receives. */
export interface Received<T> {
  readonly payload: T
  /** The node that signed it (the envelope verified). */
  readonly signer: NodeId
}

export class PaymentOutbox {
  readonly outbox: Outbox
  readonly #key: NodeKey

  constructor(options: PaymentOutboxOptions) {
    this.#key = options.key
    this.outbox = new Outbox({
      owner: 'payment',
      host: options.host,
      db: options.db,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.minRetryMs === undefined ? {} : { minRetryMs: options.minRetryMs }),
      ...(options.maxRetryMs === undefined ? {} : { maxRetryMs: options.maxRetryMs })
    })
  }

  /** Receives `kind` (register before start); the handler throws a PaymentError to refuse. */
  handle<K extends PaymentMessageKind>(kind: K, handler: (message: Received<ReturnType<(typeof PAYLOADS)[K]['parse']>>) => Promise<void>): void {
    this.outbox.handle(kind, async (envelope, { from }) => {
      await refusingFinally(async () => {
        const signer = verifyEnvelope(envelope, kind)
        if (signer !== from) throw new PaymentError('Forbidden', 'a payment message must come from the node that signed it')
        const payload = PAYLOADS[kind].parse(envelope.payload) as ReturnType<(typeof PAYLOADS)[K]['parse']>
        await handler({ payload, signer })
      }, PAYMENT_FINAL_CODES)
    })
  }

  /** Signs `payload` and writes it for `to`, in one batch with `alongside`. */
  async send(to: string, kind: PaymentMessageKind, payload: unknown, alongside: StoreOp[] = []): Promise<string> {
    PAYLOADS[kind].parse(payload)
    return await this.outbox.enqueue(to as NodeId, kind, signEnvelope(this.#key, kind, payload), { alongside })
  }

  async start(): Promise<void> {
    await this.outbox.start()
  }

  async stop(): Promise<void> {
    await this.outbox.stop()
  }
}
