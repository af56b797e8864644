// The workflow document: a small DAG of steps, each placed at a site (an
// owner's node with one of its datasets, or the requester), running an
// algorithm on its inputs (other steps' named outputs) and naming the outputs
// it writes to /out, or, at the requester, summing its inputs by secure
// aggregation (each owner's output masked at its site, only the sum seen).
// JSON, checked by this schema and then by validate.ts.
import Type from 'typebox'
import type { Static } from 'typebox'

export const WORKFLOW_VERSION = 1
/** Bounds that keep a document (and the work of checking it) small. */
export const WORKFLOW_LIMITS = Object.freeze({ steps: 64, inputsPerStep: 16, outputsPerStep: 16, args: 64, argBytes: 4096 })

export const STEP_ID_PATTERN = '^[a-z][a-z0-9_-]{0,31}$'
/** A file name in /out or /in: one optional extension (e.g. partial.json), never a path. */
export const OUTPUT_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}(\\.[a-z0-9]{1,8})?$'
/** The one output of a secure-aggregation step: the sum. */
export const SECURE_SUM_OUTPUT = 'sum'
export const DATASET_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$'
const NODE_ID_PATTERN = '^0x[0-9a-fA-F]{40}$'

export const OwnerSiteSchema = Type.Object(
  {
    node: Type.String({ pattern: NODE_ID_PATTERN, description: "The owner's node id." }),
    dataset: Type.String({ pattern: DATASET_NAME_PATTERN, description: 'The dataset the step runs next to (mounted read-only at /data).' })
  },
  { additionalProperties: false }
)

export const SiteSchema = Type.Union([Type.Literal('requester'), OwnerSiteSchema], {
  description: '"requester", or an owner\'s node with one of its datasets.'
})

export const AlgorithmSchema = Type.Object(
  {
    runtime: Type.Union([Type.Literal('wasmtime'), Type.Literal('vm')]),
    image: Type.String({ minLength: 1, maxLength: 2048, description: 'A task package (hash:sha3:<hex>:<url>) or an image as rent() takes it.' }),
    command: Type.String({ minLength: 1, maxLength: 256, description: 'The entry point run in the activity.' }),
    args: Type.Optional(Type.Array(Type.String({ maxLength: WORKFLOW_LIMITS.argBytes }), { maxItems: WORKFLOW_LIMITS.args }))
  },
  { additionalProperties: false }
)

/** The ranges are checked by validate.ts, so that its message names the step. */
export const SecureAggregateSchema = Type.Object(
  {
    length: Type.Integer({ description: 'The length of the vector every input holds.' }),
    threshold: Type.Optional(Type.Integer({ description: 'Inputs that must be summed for a result (default: all of them).' })),
    fractionalBits: Type.Optional(Type.Integer({ description: 'Fixed-point bits of each value (the secure-aggregation default when absent).' })),
    roundTimeoutMs: Type.Optional(Type.Integer({ description: "How long each round of the session waits for the owners' messages." }))
  },
  { additionalProperties: false }
)

export const AggregateSchema = Type.Object({ secure: SecureAggregateSchema }, { additionalProperties: false })

export const StepSchema = Type.Object(
  {
    id: Type.String({ pattern: STEP_ID_PATTERN }),
    site: SiteSchema,
    /** A step runs either an algorithm or (at the requester) an aggregation of its inputs. */
    algorithm: Type.Optional(AlgorithmSchema),
    aggregate: Type.Optional(AggregateSchema),
    /** Local name → "<step id>.<output name>"; the file is put at /in/<local name> before the command runs. */
    inputs: Type.Optional(
      Type.Record(Type.String({ pattern: OUTPUT_NAME_PATTERN }), Type.String({ maxLength: 80 }), {
        maxProperties: WORKFLOW_LIMITS.inputsPerStep,
        description: 'Local name → "<step id>.<output name>"; put at /in/<local name> before the command runs.'
      })
    ),
    outputs: Type.Optional(
      Type.Array(Type.String({ pattern: OUTPUT_NAME_PATTERN }), {
        maxItems: WORKFLOW_LIMITS.outputsPerStep,
        description: 'Files the step writes as /out/<name>.'
      })
    )
  },
  { additionalProperties: false }
)

export const WorkflowDocumentSchema = Type.Object(
  {
    version: Type.Literal(WORKFLOW_VERSION),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: WORKFLOW_LIMITS.steps })
  },
  { additionalProperties: false }
)

export type WorkflowDocument = Static<typeof WorkflowDocumentSchema>
export type WorkflowStep = Static<typeof StepSchema>
export type StepSite = Static<typeof SiteSchema>
export type OwnerSite = Static<typeof OwnerSiteSchema>
export type StepAlgorithm = Static<typeof AlgorithmSchema>
export type SecureAggregate = Static<typeof SecureAggregateSchema>

/** A dataset an intermediate result derives from: its owner and its name. */
export interface DatasetRef {
  readonly owner: string
  readonly dataset: string
}

/** Where a result goes: "requester" or an owner's node id (the words of DatasetPolicy.release.to). */
export type Destination = 'requester' | string

export function destinationOf(site: StepSite): Destination {
  return site === 'requester' ? 'requester' : site.node.toLowerCase()
}

export function siteText(site: StepSite): string {
  return site === 'requester' ? 'requester' : `${site.node}/${site.dataset}`
}
