// The one shape of an error a caller branches on: a code from the one
// vocabulary (codes.ts) beside a message for people. A module narrows the
// codes it uses, e.g. `class MarketError extends CodedError<MarketErrorCode>`.
import type { ErrorCode } from './codes.ts'

export class CodedError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
