// Agora's own API for requester files: a file offered here can be named in
// ExeScript as `agora-requester:<name>` (transfer from), and a transfer to
// `agora-requester:<name>` lands among the received files.
import Type from 'typebox'
import type { TypeBoxProvider } from './type-provider.ts'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Readable } from 'node:stream'
import { TRANSFER_NAME } from '../../exe-unit/index.ts'
import type { RequesterFileStore } from '../../exe-unit/index.ts'
import { ApiError } from './errors.ts'

// The store's ExeUnitErrors carry codes: the API's error handler gives them their status.
const NameParams = Type.Object({ name: Type.String({ pattern: TRANSFER_NAME }) })
const StoredFile = Type.Object({ name: Type.String(), bytes: Type.Integer(), modified: Type.String({ format: 'date-time' }) })
const Offered = Type.Object({ name: Type.String(), bytes: Type.Integer(), modified: Type.String({ format: 'date-time' }), url: Type.String() })

export function transferRoutes(store: RequesterFileStore): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    // Handlers see their request typed from the route's schemas.
    const app = instance.withTypeProvider<TypeBoxProvider>()
    // File bodies stream straight to disk; the store enforces the size limit.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
      done(null, payload)
    })

    app.get(
      '/',
      {
        schema: {
          tags: ['agora'],
          summary: 'Files offered to providers and files received from them',
          response: { 200: Type.Object({ offered: Type.Array(StoredFile), received: Type.Array(StoredFile) }) }
        }
      },
      async () => ({ offered: await store.offered(), received: await store.received() })
    )

    app.put(
      '/offered/:name',
      {
        schema: {
          tags: ['agora'],
          summary: "Offers a file (application/octet-stream) to the providers of this node's activities",
          params: NameParams,
          response: { 201: Offered }
        }
      },
      async (request, reply) => {
        if (request.headers['content-type'] !== 'application/octet-stream')
          throw new ApiError('UnsupportedMediaType', 'send the file as application/octet-stream')
        const { name } = request.params
        const file = await store.offer(name, request.body as Readable)
        return reply.code(201).send({ ...file, url: `agora-requester:${name}` })
      }
    )

    app.get('/received/:name', { schema: { tags: ['agora'], summary: 'A file a provider delivered', params: NameParams } }, async (request, reply) => {
      const { file, stream } = await store.openReceived(request.params.name)
      return reply.type('application/octet-stream').header('content-length', file.bytes).send(stream)
    })

    for (const box of ['offered', 'received'] as const) {
      app.delete(`/${box}/:name`, { schema: { tags: ['agora'], params: NameParams } }, async (request, reply) => {
        await store.remove(box, request.params.name)
        return reply.code(204).send()
      })
    }
  }
}
