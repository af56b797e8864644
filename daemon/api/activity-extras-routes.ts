// Agora's activity extras under /agora-api/v1/activity: the batches this node
// sent to an activity it rents (GET /{activityId}/batches), so a viewer can
// follow a batch's output by its id (the Activity API tells a batch's id only
// to the client that sent it).
import Type from 'typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ActivityDesk } from '../../exe-unit/index.ts'
import { ActivityParams } from './activity-schemas.ts'
import { errorResponses } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

export const ACTIVITY_EXTRAS_PREFIX = '/agora-api/v1/activity'

const SentBatch = Type.Object({
  batchId: Type.String(),
  sentAt: Type.String({ format: 'date-time' }),
  commands: Type.Array(Type.String(), { description: "the script's commands by name, in order" })
})

export function activityExtrasRoutes(desk: ActivityDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    app.get(
      '/:activityId/batches',
      {
        schema: {
          operationId: 'agoraActivityBatches',
          tags: ['requestor_control'],
          params: ActivityParams,
          // 403: the activity runs here for another requestor.
          response: {
            200: Type.Array(SentBatch, { description: 'the batches this node sent to the activity since the daemon started, oldest first (at most 50)' }),
            ...errorResponses(403, 404)
          }
        }
      },
      async request => (await desk.batches(request.params.activityId)).map(batch => ({ ...batch, sentAt: new Date(batch.sentAt).toISOString() }))
    )
  }
}
