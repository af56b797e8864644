// The errors kernel, not net's facade: the CLI reads config without libp2p.
import { CodedError } from '../../net/errors/index.ts'

/** A bad config value; the message names the source and the field. */
export class ConfigError extends CodedError<'BadRequest'> {
  override name = 'ConfigError'

  constructor(message: string, options?: ErrorOptions) {
    super('BadRequest', message, options)
  }
}
