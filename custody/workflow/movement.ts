// The movement rule, as the requester (and the receiving site) applies it: an
// intermediate result may move to a destination only when EVERY owner in its
// provenance allowed that destination for its own dataset, each by a decision
// signed with its node key for exactly this workflow, step, output and
// requester. A dataset whose owner is the destination needs no decision (the
// result goes back to where its data lives).
import type { PolicyReason } from '../model.ts'
import type { DatasetRef, Destination } from './document.ts'
import { openReleaseDecision } from './release.ts'
import type { ReleaseDecision } from './release.ts'

export interface MovementRequest {
  readonly workflowId: string
  readonly requesterId: string
  readonly step: string
  readonly output: string
  readonly provenance: readonly DatasetRef[]
  readonly destination: Destination
}

export interface OwnerVerdict {
  readonly owner: string
  readonly dataset: string
  readonly allow: boolean
  readonly reasons: readonly PolicyReason[]
}

export interface MovementVerdict {
  readonly allow: boolean
  readonly destination: Destination
  /** One per dataset of the provenance. */
  readonly owners: readonly OwnerVerdict[]
}

/** The datasets whose owners must be asked: those not owned by the destination itself. */
export function ownersToAsk(request: Pick<MovementRequest, 'provenance' | 'destination' | 'requesterId'>): DatasetRef[] {
  return request.provenance.filter(ref => !staysWithOwner(ref.owner, request))
}

/** The destination is the dataset's owner itself (by node id, or as the requester when the requester owns it). */
function staysWithOwner(owner: string, request: Pick<MovementRequest, 'destination' | 'requesterId'>): boolean {
  const destination = request.destination.toLowerCase()
  const site = destination === 'requester' ? request.requesterId.toLowerCase() : destination
  return owner.toLowerCase() === site
}

export function checkMovement(request: MovementRequest, envelopes: readonly unknown[]): MovementVerdict {
  const decisions = envelopes.map(openReleaseDecision).filter((decision): decision is ReleaseDecision => decision !== null)
  const owners: OwnerVerdict[] = request.provenance.map(ref => {
    const owner = ref.owner.toLowerCase()
    if (staysWithOwner(owner, request))
      return { owner, dataset: ref.dataset, allow: true, reasons: [{ rule: 'release.to', message: 'the result stays with its owner' }] }
    const decision = decisions.find(d => d.owner.toLowerCase() === owner && d.dataset === ref.dataset && matches(d, request))
    if (decision === undefined) {
      return {
        owner,
        dataset: ref.dataset,
        allow: false,
        reasons: [{ rule: 'release', message: `owner ${owner} gave no valid signed decision for dataset "${ref.dataset}"` }]
      }
    }
    return { owner, dataset: ref.dataset, allow: decision.allow, reasons: decision.reasons }
  })
  return { allow: owners.every(verdict => verdict.allow), destination: request.destination, owners }
}

function matches(decision: ReleaseDecision, request: MovementRequest): boolean {
  return (
    decision.workflowId === request.workflowId &&
    decision.requesterId.toLowerCase() === request.requesterId.toLowerCase() &&
    decision.step === request.step &&
    decision.output === request.output &&
    decision.destination.toLowerCase() === request.destination.toLowerCase()
  )
}
