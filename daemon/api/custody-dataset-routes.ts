// The owner's datasets under /agora-api/v1/custody/datasets, which `agora data
// add|list|show|remove` calls: list, one, add (a CSV file, a directory or a
// SQLite view, given as absolute paths on the owner's machine: this API is
// local and behind the app-key), remove. A record says where the snapshot is
// and what it holds; never the data.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import type { AddDatasetRequest, DatasetRecord, DatasetSource } from '../../custody/index.ts'
import { CodedError } from '../../net/kernel.ts'
import { errorResponses, noContent } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

/** What the routes ask of the registry. */
export interface DatasetDesk {
  list(): readonly DatasetRecord[]
  require(name: string): DatasetRecord
  add(request: AddDatasetRequest): Promise<DatasetRecord>
  remove(name: string): Promise<DatasetRecord>
  /** The policy line offers carry for the dataset. */
  policySummary(name: string): string
}

const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$'
const AMOUNT_PATTERN = '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$'
const DatasetName = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) })
const Column = Type.Object({
  name: Type.String(),
  type: Type.Union([Type.Literal('integer'), Type.Literal('real'), Type.Literal('boolean'), Type.Literal('text')])
})
const Price = Type.Object(
  {
    perUse: Type.String({ pattern: AMOUNT_PATTERN, description: 'Tokens per agreement, added to the start price.' }),
    perHour: Type.String({ pattern: AMOUNT_PATTERN, description: 'Tokens per hour of activity, added to the duration price.' })
  },
  { description: 'Decimal token amounts, exact.' }
)

export const DatasetSchema = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('csv'), Type.Literal('dir'), Type.Literal('sqlite')]),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  source: Type.Object(
    { path: Type.String(), view: Type.Optional(Type.String({ description: "The owner's SELECT (sqlite)." })) },
    { description: 'Where it was read from, at `agora data add`.' }
  ),
  dir: Type.String({ description: 'The snapshot activities mount read-only at /data.' }),
  files: Type.Array(Type.Object({ path: Type.String(), bytes: Type.Integer(), sha3: Type.String({ description: 'sha3-256, hex' }) })),
  columns: Type.Array(Column, { description: 'Tabular data: the columns and the types inferred over every row.' }),
  rows: Type.Integer({ description: 'Tabular data: the exact row count (offers say it rounded down to one significant digit).' }),
  bytes: Type.Integer(),
  price: Price,
  addedAt: Type.String({ format: 'date-time' }),
  policy: Type.String({ description: 'The policy line offers carry (agora.data.policy).' })
})

const AddDatasetBody = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN }),
    csv: Type.Optional(Type.String({ minLength: 1, description: 'An absolute path to a CSV file (first row: the column names).' })),
    dir: Type.Optional(Type.String({ minLength: 1, description: 'An absolute path to a directory (regular files only).' })),
    sqlite: Type.Optional(Type.String({ minLength: 1, description: 'An absolute path to a SQLite database, opened read-only.' })),
    view: Type.Optional(Type.String({ minLength: 1, maxLength: 65536, description: "With sqlite: the owner's single SELECT, materialised as data.csv." })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
    price: Type.Optional(Type.Partial(Price))
  },
  { additionalProperties: false, description: 'Exactly one of csv, dir and sqlite (with view).' }
)

export function datasetRoutes(desk: DatasetDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const tags = ['agora-custody']
    const wire = (record: DatasetRecord): Static<typeof DatasetSchema> => datasetWire(record, desk.policySummary(record.name))
    app.get('/', { schema: { operationId: 'agoraCustodyDatasets', tags, response: { 200: Type.Array(DatasetSchema) } } }, async () => desk.list().map(wire))
    app.get(
      '/:name',
      { schema: { operationId: 'agoraCustodyDataset', tags, params: DatasetName, response: { 200: DatasetSchema, ...errorResponses(404) } } },
      async request => wire(desk.require(request.params.name))
    )
    app.post(
      '/',
      {
        schema: {
          operationId: 'agoraCustodyAddDataset',
          tags,
          body: AddDatasetBody,
          response: { 201: DatasetSchema, ...errorResponses(409, 413, 507) }
        }
      },
      async (request, reply) => reply.code(201).send(wire(await desk.add(addRequestOf(request.body))))
    )
    app.delete(
      '/:name',
      {
        schema: {
          operationId: 'agoraCustodyRemoveDataset',
          tags,
          params: DatasetName,
          response: {
            204: noContent('The dataset, its snapshot and its offers are removed (409 while an agreement on it is in force).'),
            ...errorResponses(404, 409)
          }
        }
      },
      async (request, reply) => {
        await desk.remove(request.params.name)
        return reply.code(204).send()
      }
    )
  }
}

function addRequestOf(body: Static<typeof AddDatasetBody>): AddDatasetRequest {
  const given = [body.csv, body.dir, body.sqlite].filter(path => path !== undefined)
  if (given.length !== 1) throw new CodedError('BadRequest', 'give exactly one source: csv, dir, or sqlite with view')
  if (body.view !== undefined && body.sqlite === undefined) throw new CodedError('BadRequest', 'view goes with sqlite (the SELECT over that database)')
  let source: DatasetSource
  if (body.csv !== undefined) source = { kind: 'csv', path: body.csv }
  else if (body.dir !== undefined) source = { kind: 'dir', path: body.dir }
  else {
    if (body.view === undefined) throw new CodedError('BadRequest', "sqlite needs view: the owner's SELECT that decides what is exposed")
    source = { kind: 'sqlite', path: body.sqlite as string, view: body.view }
  }
  return {
    name: body.name,
    source,
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.price === undefined
      ? {}
      : {
          price: {
            ...(body.price.perUse === undefined ? {} : { perUse: body.price.perUse }),
            ...(body.price.perHour === undefined ? {} : { perHour: body.price.perHour })
          }
        })
  }
}

function datasetWire(record: DatasetRecord, policy: string): Static<typeof DatasetSchema> {
  return {
    name: record.name,
    kind: record.kind,
    description: record.description,
    tags: [...record.tags],
    source: record.source.view === undefined ? { path: record.source.path } : { path: record.source.path, view: record.source.view },
    dir: record.dir,
    files: record.files.map(file => ({ ...file })),
    columns: record.columns.map(column => ({ ...column })),
    rows: record.rows,
    bytes: record.bytes,
    price: { ...record.price },
    addedAt: record.addedAt,
    policy
  }
}
