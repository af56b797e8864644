// Fastify's own ajv compiler, set so that request bodies are taken exactly as
// sent (no type coercion, no silently dropped properties), while querystrings,
// path parameters and headers — always text on the wire — are coerced to the
// types their schemas declare.
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify'

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>
type BuildFromPool = (externalSchemas: Record<string, unknown>, options: { customOptions?: object; plugins?: unknown[] }) => FastifySchemaCompiler<unknown>

const buildFromPool = AjvCompiler() as unknown as BuildFromPool

function buildPartAwareValidator(
  externalSchemas: Record<string, unknown>,
  options: { customOptions?: object; plugins?: unknown[] }
): FastifySchemaCompiler<unknown> {
  // Ajv stays strict about unknown keywords (they are usually typos), except
  // OpenAPI's `example`, which documents a schema and validates nothing.
  const common = { ...options.customOptions, removeAdditional: false, useDefaults: true, keywords: ['example'] }
  const exact = buildFromPool(externalSchemas, { ...options, customOptions: { ...common, coerceTypes: false } })
  const coercing = buildFromPool(externalSchemas, { ...options, customOptions: { ...common, coerceTypes: 'array' } })
  return route => (route.httpPart === 'body' ? exact(route) : coercing(route))
}

export const partAwareValidator = buildPartAwareValidator as unknown as ValidatorFactory
