// A signal that fires when the server starts closing: long-polling handlers
// wait on it (through clientGone) so they never hold the server open.
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** Aborted when the server begins to close. */
    closing: AbortSignal
  }
}

export function installClosingSignal(app: FastifyInstance): void {
  const controller = new AbortController()
  app.decorate('closing', controller.signal)
  // preClose runs before the server waits for the requests in flight.
  app.addHook('preClose', async () => {
    controller.abort(new Error('server closing'))
  })
}
