// The requester's workflows under /agora-api/v1/custody/workflows: POST a
// document, GET one or all, PUT a step's state (the SDK's runner reports
// them), and POST a move to have every owner in an intermediate's provenance
// decide whether it may go to the next step's site.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import { STEP_STATES, WORKFLOW_ID_PATTERN, WorkflowDocumentSchema, siteText } from '../../custody/index.ts'
import type { MovementVerdict, WorkflowDesk, WorkflowRecord } from '../../custody/index.ts'
import { errorResponses } from '../api/schemas.ts'
import type { TypeBoxProvider } from '../api/type-provider.ts'

const Reason = Type.Object({ rule: Type.String(), message: Type.String() })
const OwnerVerdictSchema = Type.Object({ owner: Type.String(), dataset: Type.String(), allow: Type.Boolean(), reasons: Type.Array(Reason) })
export const MovementVerdictSchema = Type.Object(
  {
    allow: Type.Boolean({ description: 'True only when every owner in the provenance allowed the destination.' }),
    destination: Type.String({ description: '"requester" or the node id of the next site.' }),
    owners: Type.Array(OwnerVerdictSchema, { description: "Each dataset of the provenance with its owner's decision and reasons." })
  },
  { additionalProperties: false }
)
const StateSchema = Type.Union([Type.Literal('Pending'), Type.Literal('Running'), Type.Literal('Done'), Type.Literal('Failed'), Type.Literal('Refused')], {
  description: `One of ${STEP_STATES.join(', ')}.`
})

const StepViewSchema = Type.Object({
  id: Type.String(),
  site: Type.String({ description: '"requester" or <node id>/<dataset>.' }),
  state: StateSchema,
  reason: Type.Optional(Type.String()),
  providerId: Type.Optional(Type.String()),
  inputs: Type.Record(Type.String(), Type.String()),
  outputs: Type.Array(Type.String()),
  provenance: Type.Array(Type.Object({ owner: Type.String(), dataset: Type.String() })),
  moves: Type.Array(Type.Object({ input: Type.String(), from: Type.String(), output: Type.String(), verdict: MovementVerdictSchema, at: Type.String() })),
  updatedAt: Type.String({ format: 'date-time' })
})

export const WorkflowViewSchema = Type.Object({
  workflowId: Type.String(),
  name: Type.String(),
  requesterId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  /** Every step in an order where a step comes after its inputs. */
  steps: Type.Array(StepViewSchema),
  document: WorkflowDocumentSchema
})
type WorkflowView = Static<typeof WorkflowViewSchema>

const WorkflowParams = Type.Object({ workflowId: Type.String({ pattern: WORKFLOW_ID_PATTERN }) })
const StepParams = Type.Object({ workflowId: Type.String({ pattern: WORKFLOW_ID_PATTERN }), stepId: Type.String({ maxLength: 32 }) })
const StepUpdateSchema = Type.Object(
  { state: StateSchema, reason: Type.Optional(Type.String({ maxLength: 2000 })), providerId: Type.Optional(Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })) },
  { additionalProperties: false }
)
const MoveSchema = Type.Object(
  {
    input: Type.String({ maxLength: 32, description: 'The local name of the step input to move.' }),
    via: Type.Optional(Type.Literal('requester', { description: "Ask for the requester instead of the step's site: the result is relayed through it." }))
  },
  { additionalProperties: false }
)

export function workflowRoutes(desk: WorkflowDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const tags = ['agora-custody']
    app.post(
      '/',
      {
        schema: { operationId: 'agoraCustodyCreateWorkflow', tags, body: WorkflowDocumentSchema, response: { 201: WorkflowViewSchema, ...errorResponses(503) } }
      },
      async (request, reply) => reply.code(201).send(viewOf(desk, await desk.create(request.body)))
    )
    app.get('/', { schema: { operationId: 'agoraCustodyWorkflows', tags, response: { 200: Type.Array(WorkflowViewSchema) } } }, async () =>
      desk.list().map(record => viewOf(desk, record))
    )
    app.get(
      '/:workflowId',
      { schema: { operationId: 'agoraCustodyWorkflow', tags, params: WorkflowParams, response: { 200: WorkflowViewSchema, ...errorResponses(404) } } },
      async request => viewOf(desk, desk.get(request.params.workflowId))
    )
    app.put(
      '/:workflowId/steps/:stepId',
      {
        schema: {
          operationId: 'agoraCustodyUpdateWorkflowStep',
          tags,
          params: StepParams,
          body: StepUpdateSchema,
          response: { 200: WorkflowViewSchema, ...errorResponses(404, 409) }
        }
      },
      async request => viewOf(desk, await desk.updateStep(request.params.workflowId, request.params.stepId, request.body))
    )
    app.post(
      '/:workflowId/steps/:stepId/moves',
      {
        schema: {
          operationId: 'agoraCustodyMoveWorkflowInput',
          tags,
          params: StepParams,
          body: MoveSchema,
          response: { 200: MovementVerdictSchema, ...errorResponses(404, 409) }
        }
      },
      async request =>
        verdictView(
          await desk.checkMove(
            request.params.workflowId,
            request.params.stepId,
            request.body.input,
            request.body.via === undefined ? {} : { via: request.body.via }
          )
        )
    )
  }
}

function viewOf(desk: WorkflowDesk, record: WorkflowRecord): WorkflowView {
  const plan = desk.plan(record.workflowId)
  return {
    workflowId: record.workflowId,
    name: record.document.name,
    requesterId: record.requesterId,
    createdAt: record.createdAt,
    document: record.document,
    steps: plan.order.map(id => {
      const planned = plan.steps.get(id)!
      const state = record.steps[id]!
      return {
        id,
        site: siteText(planned.step.site),
        state: state.state,
        ...(state.reason === undefined ? {} : { reason: state.reason }),
        ...(state.providerId === undefined ? {} : { providerId: state.providerId }),
        inputs: { ...(planned.step.inputs ?? {}) },
        outputs: [...(planned.step.outputs ?? [])],
        provenance: planned.provenance.map(ref => ({ ...ref })),
        moves: state.moves.map(move => ({ ...move, verdict: verdictView(move.verdict) })),
        updatedAt: state.updatedAt
      }
    })
  }
}

function verdictView(verdict: MovementVerdict): Static<typeof MovementVerdictSchema> {
  return {
    allow: verdict.allow,
    destination: verdict.destination,
    owners: verdict.owners.map(owner => ({
      owner: owner.owner,
      dataset: owner.dataset,
      allow: owner.allow,
      reasons: owner.reasons.map(reason => ({ ...reason }))
    }))
  }
}
