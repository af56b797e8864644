// The policy file's schema (<dataDir>/custody/policies/<dataset>.json) and
// the signed algorithm manifest's: what the owner may write, checked before a
// policy comes into force. POLICY_JSON_SCHEMA is the same schema as JSON
// Schema, for editors and the docs.
import Type from 'typebox'
import type { Static } from 'typebox'
import { validator } from '../../net/schema/index.ts'

export const DATASET_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$'
const NodeIdText = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'A node id: 0x and 40 hex digits.' })
const ContentHash = Type.String({
  pattern: '^(sha3:[0-9a-f]{56,128}|sha256:[0-9a-f]{64})$',
  description: 'sha3:<hex> of a WASI module or GVMI image (as its task package names it), or sha256:<hex> of a container image digest.'
})
/** A non-negative decimal, exact (the ε ledger adds them as decimals). */
const Decimal = Type.String({ pattern: '^(0|[1-9][0-9]{0,15})(\\.[0-9]{1,18})?$' })
const IsoTime = Type.String({ format: 'date-time', description: 'An ISO 8601 time with its zone, e.g. 2027-01-01T00:00:00Z.' })
const MAX_LIST = 1000

export const OutputKindSchema = Type.Union([
  Type.Literal('aggregate'),
  Type.Literal('histogram'),
  Type.Literal('model'),
  Type.Literal('vector'),
  Type.Literal('table'),
  Type.Literal('text')
])

export const OutputGuardSchema = Type.Object(
  {
    maxBytes: Type.Integer({ minimum: 0, maximum: 1_073_741_824, description: 'Largest total size of the files released from one activity.' }),
    minRows: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Smallest number of rows behind every aggregate value or histogram cell.' }),
    kinds: Type.Array(OutputKindSchema, { maxItems: 6, uniqueItems: true, description: 'The kinds of output file that may leave.' }),
    logs: Type.Union([Type.Literal('none'), Type.Literal('full')], { description: '"none": stdout and stderr never come back.' }),
    exitCodes: Type.Union([Type.Literal('status'), Type.Literal('full')], { description: '"status": an exit code comes back only as 0 or 1.' })
  },
  { additionalProperties: false }
)

export const PrivacyPolicySchema = Type.Object(
  {
    mechanism: Type.Union([Type.Literal('laplace'), Type.Literal('gaussian')]),
    epsilonBudget: Decimal,
    epsilonPerQuery: Decimal,
    delta: Type.Optional(Decimal),
    sensitivity: Decimal
  },
  { additionalProperties: false }
)

export const DatasetPolicySchema = Type.Object(
  {
    dataset: Type.String({ pattern: DATASET_NAME_PATTERN, description: 'The dataset this policy is for: the same as the file name.' }),
    algorithms: Type.Object(
      {
        hashes: Type.Optional(Type.Array(ContentHash, { maxItems: MAX_LIST, description: 'Allowed algorithms by content hash.' })),
        publishers: Type.Optional(Type.Array(NodeIdText, { maxItems: MAX_LIST, description: 'Node ids whose signed algorithm manifests are trusted.' }))
      },
      { additionalProperties: false }
    ),
    requesters: Type.Optional(Type.Array(NodeIdText, { maxItems: MAX_LIST, description: 'Node ids that may use the dataset; absent: anyone.' })),
    uses: Type.Optional(
      Type.Object(
        {
          max: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Uses in all (activities admitted).' })),
          perRequester: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Uses by each requester.' }))
        },
        { additionalProperties: false }
      )
    ),
    window: Type.Optional(
      Type.Object(
        {
          from: Type.Optional(IsoTime),
          until: Type.Optional(IsoTime),
          hoursUtc: Type.Optional(
            Type.Tuple([Type.Integer({ minimum: 0, maximum: 23 }), Type.Integer({ minimum: 1, maximum: 24 })], {
              description: 'UTC hours of the day [from, until); from > until wraps past midnight.'
            })
          )
        },
        { additionalProperties: false }
      )
    ),
    output: OutputGuardSchema,
    release: Type.Optional(
      Type.Object(
        { to: Type.Array(Type.Union([Type.Literal('requester'), NodeIdText]), { maxItems: MAX_LIST }) },
        { additionalProperties: false, description: "Where results may go: the agreement's requester, or other owners." }
      )
    ),
    privacy: Type.Optional(PrivacyPolicySchema)
  },
  { additionalProperties: false }
)

export type DatasetPolicyFile = Static<typeof DatasetPolicySchema>

export const policyValidator = validator(DatasetPolicySchema, 'policy')

/** The schema as plain JSON Schema (draft 2020-12), e.g. for an editor's "$schema". */
export const POLICY_JSON_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Agora dataset policy',
  ...(JSON.parse(JSON.stringify(DatasetPolicySchema)) as Record<string, unknown>)
})

export const AlgorithmManifestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    version: Type.String({ minLength: 1, maxLength: 50 }),
    hash: ContentHash,
    outputs: Type.Optional(Type.Array(OutputKindSchema, { maxItems: 6, uniqueItems: true })),
    publisher: NodeIdText,
    signature: Type.String({ pattern: '^0x[0-9a-fA-F]{130}$' })
  },
  { additionalProperties: false }
)

export const manifestValidator = validator(AlgorithmManifestSchema, 'algorithm manifest')
