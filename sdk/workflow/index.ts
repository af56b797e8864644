// Workflows across sites: the document builder, the runner (dependency
// order, independent steps at once, every move decided by the owners) and
// its default executor.
export { workflow } from './builder.ts'
export type { SecureSumSpec, StepSpec, WorkflowBuilder } from './builder.ts'
export { runWorkflow, refusalText } from './runner.ts'
export type { StepEvent, StepExecutor, StepSession, WorkflowRunOptions, WorkflowRunResult } from './runner.ts'
export { workflowExecutor } from './executor.ts'
export { runLocalStep } from './local-step.ts'
export type { StepRentOptions } from './executor.ts'
export { SECURE_SUM_OUTPUT, WORKFLOWS_PATH, isSecureStep } from './document.ts'
export type * from './document.ts'
