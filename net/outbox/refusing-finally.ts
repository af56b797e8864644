// How a receiving handler tells its sender "never again" from "try later":
// a coded error whose code no retry changes becomes a refusal (the sender
// drops the message), anything else is thrown on and retried.
import { CodedError } from '../errors/coded-error.ts'
import { EnvelopeError } from '../envelope/envelope.ts'
import { SchemaError } from '../schema/schema-error.ts'
import { MessageRefused } from './errors.ts'

/** Runs a receiving step; a coded error with one of `finalCodes` (or a bad schema or envelope) refuses the message for good. */
export async function refusingFinally(step: () => Promise<void>, finalCodes: ReadonlySet<string>): Promise<void> {
  try {
    await step()
  } catch (err) {
    if (err instanceof SchemaError) throw new MessageRefused('BadRequest', err.message)
    // Its text may carry the crypto library's words: only the fact goes back.
    if (err instanceof EnvelopeError) throw new MessageRefused('BadRequest', 'the envelope does not verify')
    if (err instanceof CodedError && finalCodes.has(err.code)) throw new MessageRefused(err.code, err.message)
    throw err
  }
}
