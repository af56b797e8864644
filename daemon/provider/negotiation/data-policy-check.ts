// A demand naming a dataset (agora.data.name) is put to the owner's policy:
// the algorithm (its task package's hash, or a signed manifest), the
// requester, the uses and the time. A refusal rejects the proposal (or the
// agreement) before any agreement exists, with every reason the policy gave;
// every decision is audited. An offer for a dataset takes only demands that
// name it.
import { algorithmHashOf, DATA_PROPERTY, DATASET_NAME_PATTERN, manifestFromProperty } from '../../../custody/index.ts'
import type { AlgorithmManifest, PolicyDecision, PolicyReason } from '../../../custody/index.ts'
import { accept, reject } from './check.ts'
import type { NegotiationCheck, NegotiationInput } from './check.ts'

const TASK_PACKAGE = 'golem.srv.comp.task_package'
/** A refusal's message stays short; the owner's audit log has every reason in full. */
const MAX_MESSAGE = 2000
const DATASET = new RegExp(DATASET_NAME_PATTERN)

export const dataPolicyCheck: NegotiationCheck = {
  name: 'data-policy',
  check(input) {
    const wanted = textOf(input.demand[DATA_PROPERTY.name])
    const offered = textOf(input.offer[DATA_PROPERTY.name])
    if (wanted === undefined) {
      return offered === undefined ? accept() : reject('DataPolicy', `this offer is for dataset ${offered}: the demand must name it in ${DATA_PROPERTY.name}`)
    }
    if (!DATASET.test(wanted)) return reject('DataPolicy', `${DATA_PROPERTY.name} is not a dataset name (lowercase letters, digits, '.', '_', '-'; at most 64)`)
    const decision = decisionOf(input, wanted, offered)
    input.dataPolicy?.audit({
      kind: 'decision',
      dataset: wanted,
      requesterId: input.requesterId.toLowerCase(),
      allow: decision.allow,
      reasons: decision.reasons,
      detail: { stage: input.stage, algorithm: algorithmHashOf(input.demand[TASK_PACKAGE]) }
    })
    if (decision.allow) return accept()
    const reasons = decision.reasons.map(reason => `${reason.rule}: ${reason.message}`).join('; ')
    return reject('DataPolicy', `dataset ${wanted} refused by its owner's policy: ${reasons}`.slice(0, MAX_MESSAGE))
  }
}

function decisionOf(input: NegotiationInput, dataset: string, offered: string | undefined): PolicyDecision {
  const elsewhere: PolicyReason[] = []
  if (offered !== dataset) {
    elsewhere.push({ rule: 'dataset', message: offered === undefined ? 'this offer carries no dataset' : `this offer is for dataset ${offered}` })
  }
  if (input.dataPolicy === undefined) return { allow: false, dataset, reasons: [...elsewhere, { rule: 'dataset', message: 'this node keeps no datasets' }] }
  const manifest = input.demand[DATA_PROPERTY.manifest]
  const decision = input.dataPolicy.decide({
    dataset,
    requesterId: input.requesterId.toLowerCase(),
    algorithmHash: algorithmHashOf(input.demand[TASK_PACKAGE]),
    ...(manifest === undefined ? {} : { manifest: manifestFromProperty(manifest) as AlgorithmManifest }),
    at: input.now
  })
  if (elsewhere.length === 0) return decision
  return { allow: false, dataset, reasons: [...elsewhere, ...(decision.allow ? [] : decision.reasons)] }
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}
