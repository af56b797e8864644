// GET /me (ya-client identity-api.yaml): who the caller is acting as.
import Type from 'typebox'
import type { FastifyPluginAsync } from 'fastify'

export const Identity = Type.Object({
  identity: Type.String({ description: 'Node id (0x address)' }),
  name: Type.String({ description: 'Name of the app-key the call was made with' }),
  role: Type.String({ description: 'Role: manager (every app-key may do everything)' })
})

export interface NodeIdentity {
  nodeId: string
}

export function identityRoutes(node: NodeIdentity): FastifyPluginAsync {
  return async app => {
    app.get(
      '/me',
      {
        schema: {
          operationId: 'getIdentity',
          summary: 'The identity of the caller',
          tags: ['identity'],
          response: { 200: Identity }
        }
      },
      async request => ({
        identity: node.nodeId,
        // As in yagna, the name is that of the app-key in use; the auth hook
        // sets it before any route runs.
        name: request.appKey!.name,
        role: 'manager'
      })
    )
  }
}
