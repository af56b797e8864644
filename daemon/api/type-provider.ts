// Lets route handlers see request and reply types inferred from their typebox
// schemas: `app.withTypeProvider<TypeBoxProvider>().post(...)`.
import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify'
import type { Static, TSchema } from 'typebox'

export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown
}

/** A route plugin whose handlers are typed by their typebox schemas. */
export type TypeBoxPlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, TypeBoxProvider>
