// The one shape of an error a caller branches on: a stable code beside a
// message for people. Each module names its own codes.
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code

  constructor (code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
