// SIGINT/SIGTERM stop the daemon gracefully, at any stage of its life; a
// second signal, or a stop that outlasts STOP_BOUND_MS, ends it at once.
import type { Logger } from './logger.ts'

/**
 * How long a clean stop may take before the process exits without one. Every
 * part stops well within it; it is the last resort against a part that hangs.
 */
export const STOP_BOUND_MS = 10_000

export interface SignalWatch {
  /** Resolves with the signal once the first one arrives. */
  readonly received: Promise<NodeJS.Signals>
  readonly signal: NodeJS.Signals | null
  /** From now on, log through `logger` (once the config has named a level). */
  useLogger: (logger: Logger) => void
  /**
   * Runs the clean stop after a signal, bounded by `boundMs`; resolves with
   * the exit code: 0 when it stopped cleanly, 1 otherwise.
   */
  stopWith: (stop: () => Promise<void>, boundMs?: number) => Promise<number>
  /** Stops listening (the command is done). */
  close: () => void
}

/** Starts answering SIGINT and SIGTERM: call it before anything else is loaded or opened. */
export function watchSignals(exit: (code: number) => never = code => process.exit(code)): SignalWatch {
  let logger: Logger | null = null
  let first: NodeJS.Signals | null = null
  let resolveReceived: (signal: NodeJS.Signals) => void = () => {}
  const received = new Promise<NodeJS.Signals>(resolve => {
    resolveReceived = resolve
  })
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== null) {
      logger?.warn({ signal }, 'second signal: exiting without a clean stop')
      exit(1)
    }
    first = signal
    logger?.info({ signal }, 'stopping')
    resolveReceived(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    received,
    get signal() {
      return first
    },
    useLogger(given) {
      logger = given
    },
    async stopWith(stop, boundMs = STOP_BOUND_MS) {
      const watchdog = setTimeout(() => {
        logger?.error({ boundMs }, 'the stop is taking too long: exiting without a clean stop')
        exit(1)
      }, boundMs)
      try {
        await stop()
        return 0
      } catch (err) {
        logger?.error({ err }, 'stop failed')
        return 1
      } finally {
        clearTimeout(watchdog)
      }
    },
    close() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
