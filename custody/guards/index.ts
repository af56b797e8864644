// The output guards: what a file of /out must be before it leaves an activity on a dataset.
export { OutputGuard, MAX_JSON_BYTES } from './output-guard.ts'
export type { GuardContext, GuardOptions, ReleasedOutput } from './output-guard.ts'
export { JSON_KINDS, checkJsonResult } from './result-kinds.ts'
export type { JsonKind, JsonResult } from './result-kinds.ts'
