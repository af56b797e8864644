// `agora run`'s own exit codes, apart from the command's (docs/run.md): a
// script tells "the job failed" from "agora could not run it" by them, and by
// --json's `error.code`.
import { CodedError } from '../../net/kernel.ts'
import { AbortedError, AppKeyRefusedError, BudgetExhaustedError, DaemonUnreachableError, NoMatchingOffersError, ProviderLostError } from '../../sdk/index.ts'

export const EXIT = {
  /** Anything else that went wrong in agora itself. */
  failed: 1,
  usage: 2,
  noOffers: 3,
  /** The provider failed to run the command (deploy, start) or was lost. */
  provider: 4,
  /** The daemon did not answer, or refused the app-key. */
  daemon: 5,
  budget: 6,
  timeout: 7,
  /** 128 + SIGINT, as shells report an interrupted command. */
  interrupted: 130
} as const

/** The exit code of a failure, from its class and code (never its message). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof NoMatchingOffersError) return EXIT.noOffers
  if (error instanceof ProviderLostError) return EXIT.provider
  if (error instanceof AppKeyRefusedError || error instanceof DaemonUnreachableError) return EXIT.daemon
  if (error instanceof BudgetExhaustedError) return EXIT.budget
  if (error instanceof AbortedError) return EXIT.interrupted
  if (error instanceof CodedError) {
    switch (error.code) {
      case 'BadRequest':
        return EXIT.usage
      case 'Timeout':
        return EXIT.timeout
      case 'Unauthorized':
      case 'Unreachable':
        return EXIT.daemon
      // A deploy or start the provider refused, an agreement it ended.
      case 'Conflict':
      case 'Gone':
        return EXIT.provider
    }
  }
  return EXIT.failed
}
