// The owner's side of moving an intermediate result: may a result derived from
// one of its datasets go to a destination ("requester" or another node)? The
// dataset's policy answers through release.to; the answer names the rule and
// travels signed by the owner's node key, so that the requester (and the
// receiving site) can show whose decision let a result move or stopped it.
import { signEnvelope, openEnvelope } from '../../net/index.ts'
import type { NodeKey, SignedEnvelope } from '../../net/index.ts'
import type { DatasetPolicy, PolicyDecision, PolicyReason } from '../model.ts'
import type { Destination } from './document.ts'

export const RELEASE_DECISION_TYPE = 'agora.custody.release-decision'

/** What a requester asks an owner about one dataset of an intermediate's provenance. */
export interface ReleaseQuestion {
  readonly workflowId: string
  readonly requesterId: string
  /** The step that wrote the intermediate, and its output's name. */
  readonly step: string
  readonly output: string
  readonly dataset: string
  readonly destination: Destination
}

export interface ReleaseDecision extends ReleaseQuestion {
  readonly owner: string
  readonly allow: boolean
  readonly reasons: readonly PolicyReason[]
  /** ISO time of the decision. */
  readonly at: string
}

/** Where results go when a policy says nothing: back to the agreement's requester only. */
export const DEFAULT_RELEASE_TO: readonly string[] = ['requester']

export function decideRelease(policy: DatasetPolicy | null, question: ReleaseQuestion, ownerId: string): PolicyDecision {
  const dataset = question.dataset
  if (policy === null) return refuse(dataset, 'policy', `dataset "${dataset}" has no policy in force on ${ownerId}`)
  const requesters = policy.requesters?.map(id => id.toLowerCase())
  if (requesters !== undefined && !requesters.includes(question.requesterId.toLowerCase())) {
    return refuse(dataset, 'requesters', `requester ${question.requesterId} is not among the dataset's requesters`)
  }
  const destination = question.destination.toLowerCase()
  if (destination === ownerId.toLowerCase()) {
    return { allow: true, dataset, reasons: [{ rule: 'release.to', message: 'the result stays with its owner' }] }
  }
  const to = (policy.release?.to ?? DEFAULT_RELEASE_TO).map(entry => entry.toLowerCase())
  if (to.includes(destination)) {
    return { allow: true, dataset, reasons: [{ rule: 'release.to', message: `release.to lists ${question.destination}` }] }
  }
  const listed = to.length === 0 ? 'nothing' : to.join(', ')
  return refuse(dataset, 'release.to', `release.to of dataset "${dataset}" does not list ${question.destination} (it lists ${listed})`)
}

function refuse(dataset: string, rule: string, message: string): PolicyDecision {
  return { allow: false, dataset, reasons: [{ rule, message }] }
}

export function signReleaseDecision(key: NodeKey, question: ReleaseQuestion, decision: PolicyDecision, at: string): SignedEnvelope<ReleaseDecision> {
  return signEnvelope<ReleaseDecision>(key, RELEASE_DECISION_TYPE, {
    ...question,
    owner: key.nodeId,
    allow: decision.allow,
    reasons: decision.reasons,
    at
  })
}

/** The decision inside a signed envelope, once the signature holds and the signer is the owner it claims to be; null otherwise. */
export function openReleaseDecision(envelope: unknown): ReleaseDecision | null {
  try {
    const { signer, payload } = openEnvelope<ReleaseDecision>(envelope, RELEASE_DECISION_TYPE)
    if (typeof payload !== 'object' || payload === null || typeof payload.owner !== 'string' || payload.owner.toLowerCase() !== signer) return null
    return payload
  } catch {
    return null
  }
}
