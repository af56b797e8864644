import { AgoraService } from '../service/agora-service.ts'
import { createLogger } from '../service/logger.ts'
import { defaultModules } from '../service/modules.ts'
import { stopOnSignals } from '../service/signals.ts'
import { configFrom, DATA_OPTIONS } from './common-options.ts'
import type { Command } from './usage.ts'

export const serviceCommands: Command[] = [
  {
    words: ['service', 'run'],
    args: [],
    summary: 'Runs the daemon until SIGINT or SIGTERM (a second signal exits at once). Logs JSON lines on stdout.',
    options: {
      ...DATA_OPTIONS,
      'api-addr': { type: 'string', value: 'HOST:PORT', description: 'REST API address (default 127.0.0.1:7465; port 0 picks one)' },
      listen: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'libp2p listen address (default /ip4/0.0.0.0/tcp/7464)' },
      bootstrap: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'peer to join the network through' },
      'log-level': { type: 'string', value: 'LEVEL', description: 'fatal, error, warn, info (default), debug, trace or silent' }
    },
    async run ({ values }) {
      const { config, secrets } = await configFrom(values)
      const logger = createLogger(config.log.level)
      const service = new AgoraService({ modules: defaultModules(), logger })
      const stopped = stopOnSignals(async () => { await service.stop() }, logger)
      try {
        await service.start(config, secrets)
      } catch (err) {
        logger.fatal({ err }, 'agora daemon failed to start')
        throw err
      }
      return await stopped
    }
  }
]
