// Long polls must neither outlive their client nor hold the server open.
import type { FastifyReply } from 'fastify'

/**
 * Aborts when the client goes away before its answer, or when the server
 * begins to close (see closing.ts), so long polls stop waiting.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort()
  })
  // Absent only on a server not built by createApiServer.
  const closing = reply.server.closing as AbortSignal | undefined
  return closing === undefined ? controller.signal : AbortSignal.any([closing, controller.signal])
}
