// SIGINT/SIGTERM stop the daemon gracefully; a second signal ends it at once.
import type { Logger } from './logger.ts'

/** Resolves with the exit code once `stop` has run after the first signal. */
export function stopOnSignals (stop: () => Promise<void>, logger: Logger): Promise<number> {
  return new Promise(resolve => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without a clean stop')
        process.exit(1)
      }
      stopping = true
      logger.info({ signal }, 'stopping')
      stop().then(() => { resolve(0) }, (err: unknown) => {
        logger.error({ err }, 'stop failed')
        resolve(1)
      })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
