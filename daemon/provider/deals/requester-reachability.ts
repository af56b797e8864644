// Whether a requester can be reached, as the outboxes that deliver to it tell:
// since when the messages to it have failed (the oldest failing message's
// enqueue time, so a restart that retries the same messages keeps the date),
// until one is delivered or anything is received from it.
import type { OutboxEvents } from '../../../net/index.ts'

/** The part of an outbox the keeper listens to. */
export interface DeliveryEvents {
  addEventListener<K extends keyof OutboxEvents>(type: K, listener: (event: OutboxEvents[K]) => void): void
  removeEventListener<K extends keyof OutboxEvents>(type: K, listener: (event: OutboxEvents[K]) => void): void
}

export class RequesterReachability {
  readonly #outboxes: readonly DeliveryEvents[]
  readonly #failingSince = new Map<string, number>()

  constructor(outboxes: readonly DeliveryEvents[]) {
    this.#outboxes = outboxes
  }

  start(): void {
    for (const outbox of this.#outboxes) {
      outbox.addEventListener('message:retry', this.#onRetry)
      outbox.addEventListener('message:delivered', this.#onDelivered)
      outbox.addEventListener('message:dropped', this.#onDelivered)
      outbox.addEventListener('message:received', this.#onReceived)
    }
  }

  stop(): void {
    for (const outbox of this.#outboxes) {
      outbox.removeEventListener('message:retry', this.#onRetry)
      outbox.removeEventListener('message:delivered', this.#onDelivered)
      outbox.removeEventListener('message:dropped', this.#onDelivered)
      outbox.removeEventListener('message:received', this.#onReceived)
    }
  }

  /** epoch ms since when deliveries to `nodeId` fail, or undefined when it answers. */
  unreachableSince(nodeId: string): number | undefined {
    return this.#failingSince.get(nodeId.toLowerCase())
  }

  readonly #onRetry = (event: OutboxEvents['message:retry']): void => {
    const to = event.detail.to.toLowerCase()
    const since = this.#failingSince.get(to)
    this.#failingSince.set(to, since === undefined ? event.detail.enqueuedAt : Math.min(since, event.detail.enqueuedAt))
  }

  // Refused for good is an answer too: the peer is there.
  readonly #onDelivered = (event: OutboxEvents['message:delivered'] | OutboxEvents['message:dropped']): void => {
    this.#failingSince.delete(event.detail.to.toLowerCase())
  }

  readonly #onReceived = (event: OutboxEvents['message:received']): void => {
    this.#failingSince.delete(event.detail.from.toLowerCase())
  }
}
