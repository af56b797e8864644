// The owner's policies, the audit log and algorithm manifests under
// /agora-api/v1/custody, which `agora data policy|audit|manifest` call:
// policies in force (with their files), a decision asked without recording
// it, the policy schema; the log filtered and verified; a manifest signed with
// the node key, and one verified.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import { AlgorithmManifestSchema, algorithmHashOf, DATASET_NAME_PATTERN, DatasetPolicySchema, POLICY_JSON_SCHEMA } from '../../custody/index.ts'
import type { AlgorithmManifest, AuditEntry, AuditFilter, AuditKind, AuditVerification, DatasetPolicy, PolicyDecision } from '../../custody/index.ts'
import type { ManifestCheck, ManifestFields } from '../../custody/index.ts'
import { CodedError } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'
import { errorResponses } from '../api/schemas.ts'
import type { TypeBoxProvider } from '../api/type-provider.ts'

/** What the routes ask of the custody module. */
export interface PolicyDesk {
  /** The policy in force (or null), where its file is, its sha3 and its one-line summary. */
  policyOf(dataset: string): { policy: DatasetPolicy | null; file: string; sha3: string | null; summary: string }
  /** Datasets that have a policy in force. */
  datasets(): string[]
  decide(request: { dataset: string; requesterId: NodeId; algorithmHash: string | null; manifest?: AlgorithmManifest }): PolicyDecision
  audit(filter: AuditFilter): Promise<AuditEntry[]>
  verifyAudit(): Promise<AuditVerification>
  signManifest(fields: ManifestFields): AlgorithmManifest
  checkManifest(manifest: unknown): ManifestCheck
}

const AUDIT_KINDS: readonly AuditKind[] = [
  'dataset-added',
  'dataset-removed',
  'policy-loaded',
  'policy-rejected',
  'policy-removed',
  'decision',
  'run',
  'release',
  'refusal',
  'contribution',
  'privacy-spent',
  'intermediate-moved'
]
const AuditKindSchema = Type.Unsafe<AuditKind>({ type: 'string', enum: [...AUDIT_KINDS] })
const NodeIdText = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })
const DatasetParam = Type.Object({ dataset: Type.String({ pattern: DATASET_NAME_PATTERN }) })
const Reason = Type.Object({ rule: Type.String(), message: Type.String() })
const DecisionSchema = Type.Object({ allow: Type.Boolean(), dataset: Type.String(), reasons: Type.Array(Reason) })
const PolicyView = Type.Object({
  dataset: Type.String(),
  file: Type.String({ description: 'The policy file on the daemon host.' }),
  inForce: Type.Boolean(),
  sha3: Type.Union([Type.String(), Type.Null()], { description: 'The sha3-256 of the file in force.' }),
  summary: Type.String({ description: 'What offers for the dataset say of its policy (agora.data.policy).' }),
  policy: Type.Union([DatasetPolicySchema, Type.Null()])
})
const Detail = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]))
const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  kind: AuditKindSchema,
  dataset: Type.Optional(Type.String()),
  requesterId: Type.Optional(Type.String()),
  agreementId: Type.Optional(Type.String()),
  activityId: Type.Optional(Type.String()),
  allow: Type.Optional(Type.Boolean()),
  reasons: Type.Optional(Type.Array(Reason)),
  detail: Type.Optional(Detail),
  prev: Type.String(),
  hash: Type.String()
})
const AuditQuery = Type.Object({
  dataset: Type.Optional(Type.String({ pattern: DATASET_NAME_PATTERN })),
  kind: Type.Optional(AuditKindSchema),
  requesterId: Type.Optional(NodeIdText),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 }))
})
const CheckBody = Type.Object(
  {
    requesterId: NodeIdText,
    algorithm: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'The algorithm: its content hash (sha3:<hex>, sha256:<hex>) or its task package (hash:sha3:<hex>:<url>).'
    }),
    manifest: Type.Optional(Type.Unknown({ description: 'A signed algorithm manifest, as a demand carries it in agora.data.manifest.' }))
  },
  { additionalProperties: false }
)
const SignBody = Type.Object(
  {
    name: AlgorithmManifestSchema.properties.name,
    version: AlgorithmManifestSchema.properties.version,
    hash: AlgorithmManifestSchema.properties.hash,
    outputs: AlgorithmManifestSchema.properties.outputs
  },
  { additionalProperties: false }
)
const ManifestCheckSchema = Type.Object({
  ok: Type.Boolean(),
  publisher: Type.Optional(Type.String({ description: 'The publisher whose signature it carries (when ok).' })),
  why: Type.Optional(Type.String({ description: 'Why it does not verify (when not ok).' }))
})
const HASH = /^(sha3:[0-9a-f]{56,128}|sha256:[0-9a-f]{64})$/

export function policyRoutes(desk: PolicyDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const tags = ['agora-custody']
    const view = (dataset: string) => {
      const { policy, file, sha3, summary } = desk.policyOf(dataset)
      // The policy as read from its file (plain JSON), typed as the schema says.
      return { dataset, file, inForce: policy !== null, sha3, summary, policy: policy as Static<typeof DatasetPolicySchema> | null }
    }
    app.get('/policies', { schema: { operationId: 'agoraCustodyPolicies', tags, response: { 200: Type.Array(PolicyView) } } }, async () =>
      desk.datasets().map(view)
    )
    app.get(
      '/policies/schema',
      { schema: { operationId: 'agoraCustodyPolicySchema', tags, response: { 200: Type.Unknown({ description: 'The policy file schema (JSON Schema).' }) } } },
      async () => POLICY_JSON_SCHEMA
    )
    app.get('/policies/:dataset', { schema: { operationId: 'agoraCustodyPolicy', tags, params: DatasetParam, response: { 200: PolicyView } } }, async request =>
      view(request.params.dataset)
    )
    app.post(
      '/policies/:dataset/check',
      { schema: { operationId: 'agoraCustodyPolicyCheck', tags, params: DatasetParam, body: CheckBody, response: { 200: DecisionSchema } } },
      async request => {
        const { requesterId, algorithm, manifest } = request.body
        const algorithmHash = HASH.test(algorithm.toLowerCase()) ? algorithm.toLowerCase() : algorithmHashOf(algorithm)
        if (algorithmHash === null)
          throw new CodedError('BadRequest', 'algorithm: give a content hash (sha3:<hex>, sha256:<hex>) or a task package hash:sha3:<hex>:<url>')
        return decisionWire(
          desk.decide({
            dataset: request.params.dataset,
            requesterId: requesterId.toLowerCase(),
            algorithmHash,
            ...(manifest === undefined ? {} : { manifest: manifest as AlgorithmManifest })
          })
        )
      }
    )
    app.get(
      '/audit',
      { schema: { operationId: 'agoraCustodyAudit', tags, querystring: AuditQuery, response: { 200: Type.Array(AuditEntrySchema) } } },
      async request => (await desk.audit(definedOf(request.query) as AuditFilter)).map(entryWire)
    )
    app.get(
      '/audit/verify',
      {
        schema: {
          operationId: 'agoraCustodyAuditVerify',
          tags,
          response: { 200: Type.Object({ ok: Type.Boolean(), entries: Type.Integer(), brokenAt: Type.Optional(Type.Integer()) }) }
        }
      },
      async () => await desk.verifyAudit()
    )
    app.post(
      '/manifests',
      { schema: { operationId: 'agoraCustodySignManifest', tags, body: SignBody, response: { 201: AlgorithmManifestSchema, ...errorResponses(400) } } },
      async (request, reply) => reply.code(201).send(manifestWire(desk.signManifest(definedOf(request.body) as unknown as ManifestFields)))
    )
    app.post(
      '/manifests/verify',
      { schema: { operationId: 'agoraCustodyVerifyManifest', tags, body: Type.Unknown(), response: { 200: ManifestCheckSchema } } },
      async request => desk.checkManifest(request.body)
    )
  }
}

/** Records are plain JSON; the schema's types are mutable. */
const decisionWire = (decision: PolicyDecision): Static<typeof DecisionSchema> => decision as Static<typeof DecisionSchema>
const manifestWire = (manifest: AlgorithmManifest): Static<typeof AlgorithmManifestSchema> => manifest as Static<typeof AlgorithmManifestSchema>
const entryWire = (entry: AuditEntry): Static<typeof AuditEntrySchema> => entry as Static<typeof AuditEntrySchema>

function definedOf(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, each]) => each !== undefined))
}
