// A signal that fires when the server starts closing: long-polling handlers
// wait on it (through clientGone) so they never hold the server open. Once it
// has fired and no answer is in flight, the connections clients keep open
// (keep-alive sockets Node does not count as idle) are closed too, so that no
// client can hold the server open either.
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
  let answering = 0
  const closeLeftConnections = (): void => {
    if (controller.signal.aborted && answering === 0) app.server.closeAllConnections()
  }
  app.addHook('onRequest', async (_request, reply) => {
    answering += 1
    reply.raw.once('close', () => {
      answering -= 1
      closeLeftConnections()
    })
  })
  // preClose runs before the server waits for the requests in flight.
  app.addHook('preClose', async () => {
    controller.abort(new Error('server closing'))
    closeLeftConnections()
  })
}
