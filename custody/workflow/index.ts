// Workflows across sites: the document and its checks, provenance, the
// movement rule every owner decides for its own datasets, the owners' release
// desk and the requester's workflow desk.
export {
  WORKFLOW_VERSION,
  WORKFLOW_LIMITS,
  WorkflowDocumentSchema,
  StepSchema,
  SiteSchema,
  AlgorithmSchema,
  AggregateSchema,
  SecureAggregateSchema,
  SECURE_SUM_OUTPUT,
  destinationOf,
  siteText
} from './document.ts'
export type { WorkflowDocument, WorkflowStep, StepSite, OwnerSite, StepAlgorithm, SecureAggregate, DatasetRef, Destination } from './document.ts'
export { parseWorkflow, WorkflowError } from './validate.ts'
export { checkSecureStep, minimumThreshold } from './secure-step.ts'
export type { CheckedSecureAggregate } from './secure-step.ts'
export type { WorkflowPlan, PlannedStep, StepInput } from './validate.ts'
export { decideRelease, signReleaseDecision, openReleaseDecision, RELEASE_DECISION_TYPE, DEFAULT_RELEASE_TO } from './release.ts'
export type { ReleaseQuestion, ReleaseDecision } from './release.ts'
export { checkMovement, ownersToAsk } from './movement.ts'
export type { MovementRequest, MovementVerdict, OwnerVerdict } from './movement.ts'
export { RELEASE_PROTOCOL, WORKFLOW_ID_PATTERN } from './release-protocol.ts'
export { ReleaseDesk } from './release-desk.ts'
export type { ReleaseDeskComponents } from './release-desk.ts'
export { STEP_STATES, mayMove } from './record.ts'
export type { StepState, StepRecord, MoveRecord, WorkflowRecord, WorkflowRecordStore } from './record.ts'
export { WorkflowDesk, MAX_WORKFLOWS } from './workflow-desk.ts'
export type { WorkflowDeskComponents, StepUpdate } from './workflow-desk.ts'
