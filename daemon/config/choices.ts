// The fixed choices of some config values, apart from the schemas so that the
// parsers of flags and environment load no schema library.
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const KEYSTORE_COSTS = ['standard', 'light'] as const

export type LogLevel = (typeof LOG_LEVELS)[number]
export type KeystoreCost = (typeof KEYSTORE_COSTS)[number]
