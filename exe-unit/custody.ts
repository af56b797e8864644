// What the exe-unit asks of data custody (the daemon wires the custody
// module's implementation in): whether an activity may see a dataset, and
// what may leave it. The exe-unit enforces the answer: the dataset mounted
// read-only at /data, results only from /out, no network, and the logs and
// exit codes the grant allows.
import type { CodedError } from '../net/index.ts'

/** Where a granted dataset is mounted (read-only), and the only directory whose files may leave. */
export const DATA_MOUNT = '/data'
export const OUTPUT_MOUNT = '/out'
/** The agreement property naming a dataset (custody/properties.ts has the others). */
export const DATA_NAME_PROPERTY = 'agora.data.name'
/** The transfer scheme that hands an output file to a secure aggregation session instead of the requester. */
export const SECAGG_SCHEME = 'agora-secagg:'

export interface CustodyAdmission {
  activityId: string
  agreementId: string
  requesterId: string
  /** The agreement's flat properties, offer and demand merged. */
  properties: Record<string, unknown>
}

/** A file of /out about to leave the activity. */
export interface OutputFile {
  /** e.g. /out/result.json */
  containerPath: string
  hostPath: string
  bytes: number
  /** The transfer's target URL (agora-requester:…, gftp:…, http…, agora-secagg:…). */
  destination: string
}

export interface CustodyGrant {
  readonly dataset: string
  /** Host directory of the dataset's snapshot, mounted read-only at /data. */
  readonly dataDir: string
  /** "none": stdout and stderr never come back (nor stream). */
  readonly logs: 'none' | 'full'
  /** "status": an exit code comes back only as 0 or 1. */
  readonly exitCodes: 'status' | 'full'
  /** Checked before a file of /out leaves; throws a CodedError (Forbidden) naming the rule that refused it. */
  release(file: OutputFile, signal: AbortSignal): Promise<void>
  /** Takes a file sent to `agora-secagg:` (after the same checks as release); resolves once the owner's masked contribution is sent. */
  contribute(file: OutputFile, signal: AbortSignal): Promise<void>
  /** Each command run under the grant, for the owner's audit log. */
  recordRun(run: { command: string; exitCode: number }): void
  /** The activity has ended. */
  close(): Promise<void>
}

export interface ActivityCustody {
  /**
   * Null when the agreement names no dataset. Otherwise the owner's policy is
   * asked again now (it may have changed since the agreement): a refusal
   * throws a CodedError (Forbidden) with the policy's reasons.
   */
  admit(admission: CustodyAdmission): Promise<CustodyGrant | null>
}

export type CustodyRefusal = CodedError<'Forbidden'>
