// The exe-unit module's facade: activities under agreements, ExeScript batches,
// runtimes (WASI modules in worker threads, containers on Docker), sandboxing
// and usage counters.
export { ExeUnit } from './exe-unit.ts'
export type {
  ExeUnitOptions, ExeUnitEvents, ActivityUsageSource, CreateActivityRequest, ActivityInfo, UsageEvent, StateEvent, RuntimeStatus
} from './exe-unit.ts'
export type { Signer } from './activity/activity.ts'
export type {
  ActivityState, ActivityStateName, ActivityUsage, ExeScriptCommandResult, ExeScriptCommandState, RuntimeEvent, RuntimeEventKind
} from './activity/types.ts'
export type { CommandOutput } from './activity/capture.ts'
export { ExeUnitError } from './errors.ts'
export type { ExeUnitErrorCode } from './errors.ts'
export { parseExeScript, ExeScriptError } from './exescript/parse.ts'
export type { Command, ScriptCommand, Capture, CaptureMode, ExeScriptLimits } from './exescript/types.ts'
export { DEFAULT_LIMITS } from './limits.ts'
export type { ExeUnitLimits, ExeUnitLimitsInput } from './limits.ts'
export { PROP, USAGE_CPU_SEC, USAGE_DURATION_SEC, USAGE_PEAK_MEMORY_GIB, DEFAULT_USAGE_VECTOR } from './properties.ts'
export { parseTaskPackage } from './runtime/package-store.ts'
export type { RuntimeFactory, Runtime, RuntimeContext } from './runtime/runtime.ts'
export { WASMTIME } from './runtime/wasmtime/wasmtime-runtime.ts'
export { VM } from './runtime/vm/vm-runtime.ts'
export type { RequesterFileChannel } from './transfer/requester-channel.ts'
export { ACTIVITY_PROTOCOL } from './network/activity-protocol.ts'
export type { ActivityRequest, ActivityOp } from './network/activity-protocol.ts'
export { ActivityServer } from './network/activity-server.ts'
export { ActivityClient, ActivityCallError } from './network/activity-client.ts'
export type { ActivityCallErrorCode, RequesterActivity, ActivityRecords } from './network/activity-client.ts'
export { ActivityDesk } from './network/activity-desk.ts'
export type { AgreementLookup, AgreementView } from './network/agreement-access.ts'
export type { BatchEvents } from './network/batch-events.ts'
export { FILES_PROTOCOL } from './network/files-protocol.ts'
export { RequesterFileStore } from './network/requester-file-store.ts'
export type { StoredFile } from './network/requester-file-store.ts'
export { fileRequestHandler } from './network/file-server.ts'
export { requesterFilesOver } from './network/network-requester-files.ts'
export { ProviderEventLog } from './network/provider-events.ts'
export type { ProviderEvent } from './network/provider-events.ts'
