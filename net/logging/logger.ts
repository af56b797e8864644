// What a component needs of a logger: the part of pino's interface it uses, so
// the daemon can pass a pino child logger and tests can pass nothing.

export interface LogFn {
  (object: object, message?: string): void
  (message: string): void
}

export interface Logger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  child: (bindings: Record<string, unknown>) => Logger
}

const ignore: LogFn = () => {}

/** The default of every component: says nothing. */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger
})
