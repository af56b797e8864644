/** A bad config value; the message names the source and the field. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
