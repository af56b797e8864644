// `agora service run`. Signals are answered from the first line on: a signal
// while the code loads or the node starts ends the start cleanly.
import { watchSignals } from '../service/signals.ts'
import { configFrom } from './common-options.ts'
import type { CommandRun } from './usage.ts'

export const runService: CommandRun = async ({ values }) => {
  const signals = watchSignals()
  try {
    const { config, secrets } = await configFrom(values)
    // The daemon's code (libp2p, the modules) is loaded only to run it.
    const loading = Promise.all([import('../service/agora-service.ts'), import('../service/logger.ts'), import('../service/modules.ts')])
    // A signal while it loads: nothing has been opened yet, so there is nothing to stop.
    const loaded = await Promise.race([loading, signals.received.then(() => null)])
    if (loaded === null) return 0
    const [{ AgoraService, StartAbortedError }, { createLogger }, { defaultModules }] = loaded
    const logger = createLogger(config.log.level)
    signals.useLogger(logger)
    const service = new AgoraService({ modules: defaultModules(), logger })
    const stopped = signals.received.then(
      async () =>
        await signals.stopWith(async () => {
          await service.stop()
        })
    )
    try {
      await service.start(config, secrets)
    } catch (err) {
      if (err instanceof StartAbortedError) return await stopped
      logger.fatal({ err }, 'agora daemon failed to start')
      throw err
    }
    return await stopped
  } finally {
    signals.close()
  }
}
