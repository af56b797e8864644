// The batches this node sent to the activities it rents, newest last, kept in
// memory (since the daemon started) so a viewer can find a batch's output:
// the Activity API answers a batch only by its id, which only the client that
// sent it was told.
export interface SentBatch {
  batchId: string
  /** When it was sent, in ms since the epoch. */
  sentAt: number
  /** The script's commands, by name (deploy, start, run, …). */
  commands: string[]
}

export class BatchLog {
  readonly #byActivity = new Map<string, SentBatch[]>()
  readonly #perActivity: number
  readonly #activities: number

  /** Keeps the last `perActivity` batches of the last `activities` activities sent to. */
  constructor(perActivity = 50, activities = 1000) {
    this.#perActivity = perActivity
    this.#activities = activities
  }

  add(activityId: string, batch: SentBatch): void {
    const batches = this.#byActivity.get(activityId) ?? []
    // Re-inserted, so the Map's order is that of the latest send: the first key is the one to drop.
    this.#byActivity.delete(activityId)
    this.#byActivity.set(activityId, [...batches, batch].slice(-this.#perActivity))
    if (this.#byActivity.size > this.#activities) this.#byActivity.delete(this.#byActivity.keys().next().value as string)
  }

  of(activityId: string): SentBatch[] {
    return [...(this.#byActivity.get(activityId) ?? [])]
  }
}

/** The command names of an ExeScript's text (each command is an object with one key); none when it does not parse. */
export function commandNames(text: string): string[] {
  try {
    const script: unknown = JSON.parse(text)
    if (!Array.isArray(script)) return []
    return script.flatMap(command => (command !== null && typeof command === 'object' ? Object.keys(command).slice(0, 1) : []))
  } catch {
    return []
  }
}
