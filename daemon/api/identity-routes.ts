// GET /me (ya-client identity-api.yaml): who the caller is acting as.
import Type from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import { errorResponses } from './schemas.ts'

export const Identity = Type.Object({
  identity: Type.String({ description: 'Node id (0x address)' }),
  name: Type.String({ description: 'Name of the app-key the call was made with' }),
  role: Type.String({ description: 'Role: manager (every app-key may do everything)' })
})

export interface NodeIdentity {
  nodeId: string
  /** Shown when a call carries no named app-key. */
  name: string
}

export function identityRoutes (node: NodeIdentity): FastifyPluginAsync {
  return async app => {
    app.get('/me', {
      schema: {
        operationId: 'getIdentity',
        summary: 'The identity of the caller',
        tags: ['identity'],
        response: { 200: Identity, ...errorResponses(400) }
      }
    }, async request => ({
      identity: node.nodeId,
      // As in yagna, the name is that of the app-key in use.
      name: request.appKey?.name ?? node.name,
      role: 'manager'
    }))
  }
}
