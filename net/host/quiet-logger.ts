// libp2p's logger, when no DEBUG namespace asks for its output: one logger
// that drops everything. The default one makes a debug instance (and asks
// whether stderr is a terminal) for every stream and protocol negotiation,
// only to print nothing; at a hundred nodes that was 1% of the time.
import type { ComponentLogger, Logger } from '@libp2p/interface'

const nothing = (): void => {}

/** One logger for every component and scope, that drops everything. */
export const quietLogger: Logger = Object.assign(nothing, {
  error: nothing,
  trace: nothing,
  enabled: false,
  newScope: (): Logger => quietLogger
})

const quietComponents: ComponentLogger = { forComponent: () => quietLogger }

/** A logger for libp2p that drops everything, or undefined (libp2p's own) when DEBUG is set. */
export function libp2pLogger(env: NodeJS.ProcessEnv = process.env): ComponentLogger | undefined {
  return env.DEBUG === undefined || env.DEBUG === '' ? quietComponents : undefined
}
