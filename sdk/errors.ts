// The SDK's errors. Every one is a CodedError with a code from the daemon's one
// vocabulary (net/kernel.ts), so a caller branches on `code` or on the class,
// never on message text. ApiError carries what the REST API answered; the
// others name what a requester can act on.
import { CodedError } from '../net/kernel.ts'
import type { ErrorCode } from '../net/kernel.ts'
import type { FederatedOwnerReport, MatchExplanation, RunResult } from './types.ts'

export class SdkError extends CodedError {
  override name = 'SdkError'
}

/** The daemon refused a call: its code (from the API's error body, or from the status), status and message. */
export class ApiError extends SdkError {
  override name = 'ApiError'
  readonly status: number
  readonly correlationId: string | undefined

  constructor(code: ErrorCode, status: number, message: string, correlationId?: string) {
    super(code, message)
    this.status = status
    this.correlationId = correlationId
  }
}

/** The app-key was refused (a 401 from the daemon): which URL, and where the key came from. */
export class AppKeyRefusedError extends SdkError {
  override name = 'AppKeyRefusedError'
  constructor(message: string) {
    super('Unauthorized', message)
  }
}

/** The daemon does not answer at its URL. */
export class DaemonUnreachableError extends SdkError {
  override name = 'DaemonUnreachableError'
  constructor(message: string) {
    super('Unreachable', message)
  }
}

/** No offer matched within the start-up time; `explanation` says how many were known and what excluded them. */
export class NoMatchingOffersError extends SdkError {
  override name = 'NoMatchingOffersError'
  readonly explanation: MatchExplanation
  constructor(message: string, explanation: MatchExplanation) {
    super('NotFound', message)
    this.explanation = explanation
  }
}

/** The provider ended the agreement or stopped answering. */
export class ProviderLostError extends SdkError {
  override name = 'ProviderLostError'
  readonly providerId: string
  constructor(message: string, providerId: string) {
    super('Gone', message)
    this.providerId = providerId
  }
}

/** What is owed would go beyond the budget. */
export class BudgetExhaustedError extends SdkError {
  override name = 'BudgetExhaustedError'
  constructor(message: string) {
    super('Conflict', message)
  }
}

/** A command exited non-zero (run without allowFailure). */
export class CommandFailedError extends SdkError {
  override name = 'CommandFailedError'
  readonly result: RunResult
  constructor(message: string, result: RunResult) {
    super('Conflict', message)
    this.result = result
  }
}

/** A wait was cut short by the caller's signal. */
export class AbortedError extends SdkError {
  override name = 'AbortedError'
  constructor(message = 'aborted') {
    super('Aborted', message)
  }
}

/** A task or command took longer than its timeout. */
export class TimeoutError extends SdkError {
  override name = 'TimeoutError'
  constructor(message: string) {
    super('Timeout', message)
  }
}

/** A federated run ended without enough owners (fewer than its threshold finished): what each owner did. */
export class FederatedRunError extends SdkError {
  override name = 'FederatedRunError'
  readonly owners: readonly FederatedOwnerReport[]
  constructor(message: string, owners: readonly FederatedOwnerReport[], code: ErrorCode = 'Unavailable') {
    super(code, message)
    this.owners = owners
  }
}
