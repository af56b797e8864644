// Errors of the provider agent's settings, presets and offers, from the one vocabulary.
import { CodedError } from '../../net/kernel.ts'

export type ProviderErrorCode =
  | 'BadRequest' // a setting or preset that is not valid (the message names it)
  | 'NotFound' // no such preset
  | 'Conflict' // a preset of that name exists

export class ProviderError extends CodedError<ProviderErrorCode> {
  override name = 'ProviderError'
}
