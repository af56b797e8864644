// The two ways a constraint text is refused: it is not well formed, or it is
// larger or deeper than the market accepts. Either is the caller's BadRequest.
import { CodedError } from '../../net/index.ts'

export class ConstraintSyntaxError extends CodedError<'BadRequest'> {
  override name = 'ConstraintSyntaxError'
  /** 0-based index (UTF-16 code units) into the text where parsing stopped. */
  readonly position: number
  /** What the parser wanted at that position, e.g. "')'" or "an attribute name". */
  readonly expected: string

  constructor(expected: string, position: number, found: string) {
    super('BadRequest', `expected ${expected} at position ${position}, found ${found}`)
    this.position = position
    this.expected = expected
  }
}

export class ConstraintLimitError extends CodedError<'BadRequest'> {
  override name = 'ConstraintLimitError'
  /** Which limit was exceeded, e.g. "maxDepth". */
  readonly limit: string

  constructor(limit: string, message: string) {
    super('BadRequest', message)
    this.limit = limit
  }
}
