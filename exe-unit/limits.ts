// What a provider allows: totals across activities and bounds for each one.
import { ExeUnitError } from './errors.ts'
import { DEFAULT_EXESCRIPT_LIMITS } from './exescript/types.ts'
import type { ExeScriptLimits } from './exescript/types.ts'
import { DEFAULT_GVMI_LIMITS } from './runtime/vm/gvmi/limits.ts'

export interface ExeUnitLimits {
  /** Most activities alive at once. */
  maxActivities: number
  /** Memory (golem.inf.mem.gib) all live activities may reserve together. */
  maxMemoryGib: number
  /** CPU threads (golem.inf.cpu.threads) all live activities may reserve together. */
  maxThreads: number
  /** Memory an activity gets when its agreement names none. */
  defaultMemoryGib: number
  /** Disk an activity's directories may take when its agreement names none (golem.inf.storage.gib). */
  defaultStorageGib: number
  /** Wall-clock limit of one run command. */
  runTimeoutMs: number
  /** Largest file one transfer command moves. */
  maxTransferBytes: number
  /** Largest image (WASI module, image tarball or GVMI) deployed. */
  maxPackageBytes: number
  /** Most bytes a GVMI image's files may unpack to. */
  maxUnpackedPackageBytes: number
  /** Most entries (files, directories, links) a GVMI image may hold. */
  maxPackageFiles: number
  /** Processes a container may hold at once. */
  pidsLimit: number
  /** Output kept per stream for atEnd captures without a part, and streamed without a limit. */
  maxCaptureBytes: number
  /** Batches waiting behind the running one, per activity. */
  maxQueuedBatches: number
  /** Finished batches whose results stay readable, per activity. */
  keptBatches: number
  /** Terminated activities whose state stays readable. */
  keptTerminatedActivities: number
  exescript: ExeScriptLimits
}

export const DEFAULT_LIMITS: ExeUnitLimits = {
  maxActivities: 16,
  maxMemoryGib: 8,
  maxThreads: 8,
  defaultMemoryGib: 0.25,
  defaultStorageGib: 4,
  runTimeoutMs: 15 * 60_000,
  maxTransferBytes: 1024 ** 3,
  maxPackageBytes: 2 * 1024 ** 3,
  maxUnpackedPackageBytes: DEFAULT_GVMI_LIMITS.maxUnpackedBytes,
  maxPackageFiles: DEFAULT_GVMI_LIMITS.maxFiles,
  pidsLimit: 256,
  maxCaptureBytes: 1024 * 1024,
  maxQueuedBatches: 16,
  keptBatches: 64,
  keptTerminatedActivities: 1000,
  exescript: DEFAULT_EXESCRIPT_LIMITS
}

export type ExeUnitLimitsInput = Partial<Omit<ExeUnitLimits, 'exescript'>> & { exescript?: Partial<ExeScriptLimits> }

export function resolveLimits(input: ExeUnitLimitsInput = {}): ExeUnitLimits {
  const limits: ExeUnitLimits = {
    ...DEFAULT_LIMITS,
    ...input,
    exescript: { ...DEFAULT_EXESCRIPT_LIMITS, ...input.exescript }
  }
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw new ExeUnitError('BadRequest', `limits.${name} must be a positive number, got ${value}`)
    }
  }
  return limits
}
