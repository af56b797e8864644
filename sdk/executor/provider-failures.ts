// Failures counted per provider over an executor's run: at the limit the
// provider is avoided for the rest of the run (golem-js keeps sending tasks to
// a provider that keeps failing them).
import { SdkError } from '../errors.ts'

export const DEFAULT_PROVIDER_FAILURE_LIMIT = 2

export class ProviderFailures {
  readonly #limit: number
  readonly #counts = new Map<string, number>()

  constructor(limit = DEFAULT_PROVIDER_FAILURE_LIMIT) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new SdkError('BadRequest', `providerFailureLimit must be a whole number of at least 1, not ${String(limit)}`)
    }
    this.#limit = limit
  }

  /** Counts one failure; true when this one reaches the limit (the provider is to be avoided from now on). */
  record(providerId: string): boolean {
    const count = (this.#counts.get(providerId) ?? 0) + 1
    this.#counts.set(providerId, count)
    return count === this.#limit
  }

  isAvoided(providerId: string): boolean {
    return (this.#counts.get(providerId) ?? 0) >= this.#limit
  }

  get avoided(): string[] {
    return [...this.#counts].filter(([, count]) => count >= this.#limit).map(([id]) => id)
  }
}
