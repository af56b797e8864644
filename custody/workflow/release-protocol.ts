// /agora/custody/release/1: a requester asks the owner of datasets in an
// intermediate's provenance whether that intermediate may move to a
// destination; the owner answers with one signed decision per dataset.
import Type from 'typebox'
import { defineProtocol, SignedEnvelopeSchema } from '../../net/index.ts'
import { DATASET_NAME_PATTERN, OUTPUT_NAME_PATTERN, STEP_ID_PATTERN } from './document.ts'

export const WORKFLOW_ID_PATTERN = '^wf-[0-9a-f]{32}$'
const MAX_DATASETS_PER_QUESTION = 64

const Envelope = SignedEnvelopeSchema

export const RELEASE_PROTOCOL = defineProtocol({
  name: '/agora/custody/release/1',
  request: Type.Object(
    {
      workflowId: Type.String({ pattern: WORKFLOW_ID_PATTERN }),
      step: Type.String({ pattern: STEP_ID_PATTERN }),
      output: Type.String({ pattern: OUTPUT_NAME_PATTERN }),
      destination: Type.Union([Type.Literal('requester'), Type.String({ pattern: '^0x[0-9a-f]{40}$' })]),
      datasets: Type.Array(Type.String({ pattern: DATASET_NAME_PATTERN }), { minItems: 1, maxItems: MAX_DATASETS_PER_QUESTION })
    },
    { additionalProperties: false }
  ),
  response: Type.Object({ decisions: Type.Array(Envelope, { maxItems: MAX_DATASETS_PER_QUESTION }) }, { additionalProperties: false }),
  maxRequestBytes: 8 * 1024,
  maxResponseBytes: 256 * 1024,
  timeoutMs: 20_000,
  overRelay: true
})
