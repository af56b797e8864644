// The daemon's log: pino JSON lines on stdout. Secrets never reach it: app-keys
// and passphrases are masked wherever a record might carry them.
import pino from 'pino'
import type { DestinationStream, Logger as PinoLogger } from 'pino'
import type { LogLevel } from '../config/schema.ts'

export type Logger = PinoLogger

const SECRET_PATHS = [
  'key',
  '*.key',
  'appKey',
  'passphrase',
  '*.passphrase',
  'keyPassphrase',
  'autoAppKey',
  'req.headers.authorization',
  'headers.authorization'
]

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: SECRET_PATHS, censor: '***' },
    serializers: { err: pino.stdSerializers.err }
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
