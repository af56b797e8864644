// The shapes the custody module's parts share: datasets and the descriptors
// offers carry, owner policies and their decisions, and the audit log.
import type { NodeId } from '../net/kernel.ts'

export type DatasetKind = 'csv' | 'dir' | 'sqlite'
export type ColumnType = 'integer' | 'real' | 'text' | 'boolean'

export interface DatasetColumn {
  readonly name: string
  readonly type: ColumnType
}

/** One file of a dataset's snapshot, as mounted read-only at /data. */
export interface DatasetFile {
  /** Relative to the snapshot's directory, with "/" separators. */
  readonly path: string
  readonly bytes: number
  /** sha3-256 of the content, hex. */
  readonly sha3: string
}

/** The price of a dataset on top of the compute: decimal token amounts, exact. */
export interface DatasetPrice {
  /** Charged once per agreement (added to the offer's start price). */
  readonly perUse: string
  /** Charged per hour of activity (added to the duration coefficient). */
  readonly perHour: string
}

/** What the owner registered: kept in the custody module's sublevel; never leaves the daemon. */
export interface DatasetRecord {
  readonly name: string
  readonly kind: DatasetKind
  readonly description: string
  readonly tags: readonly string[]
  /** Where it was read from (a file, a directory, or a SQLite file with the owner's view). */
  readonly source: { readonly path: string; readonly view?: string }
  /** The host directory holding the snapshot the activities mount read-only. */
  readonly dir: string
  readonly files: readonly DatasetFile[]
  /** For tabular data (csv, sqlite): the columns; empty for a directory. */
  readonly columns: readonly DatasetColumn[]
  /** Exact row count (tabular data); 0 for a directory. */
  readonly rows: number
  readonly bytes: number
  readonly price: DatasetPrice
  /** ISO time. */
  readonly addedAt: string
}

/** What an offer states about a dataset (agora.data.*): never the data, and the row count only coarsely. */
export interface DatasetDescriptor {
  readonly name: string
  readonly description: string
  readonly tags: readonly string[]
  readonly columns: readonly DatasetColumn[]
  /** The row count rounded down to one significant digit (e.g. 1234 → 1000). */
  readonly rowsAtLeast: number
  readonly bytes: number
  readonly policySummary: string
  readonly price: DatasetPrice
}

/** The kinds of output a policy may allow; the guard checks a file's content against its kind. */
export type OutputKind = 'aggregate' | 'histogram' | 'model' | 'vector' | 'table' | 'text'

export interface OutputGuardPolicy {
  /** Largest total size of the files released from one activity. */
  readonly maxBytes: number
  /** Smallest number of rows behind every aggregate value or histogram cell. */
  readonly minRows: number
  readonly kinds: readonly OutputKind[]
  /** Whether stdout/stderr come back: "none" drops them. */
  readonly logs: 'none' | 'full'
  /** "status": an exit code comes back only as 0 or 1. */
  readonly exitCodes: 'status' | 'full'
}

export interface PrivacyPolicy {
  readonly mechanism: 'laplace' | 'gaussian'
  /** The dataset's total ε (decimal string, exact). */
  readonly epsilonBudget: string
  /** What one query spends (decimal string). */
  readonly epsilonPerQuery: string
  /** For the Gaussian mechanism (decimal string). */
  readonly delta?: string
  /** The L1 (Laplace) or L2 (Gaussian) sensitivity of one contribution, in the vector's own units (decimal string). */
  readonly sensitivity: string
}

/** An owner's policy for one dataset, as kept in <dataDir>/custody/policies/<dataset>.json. */
export interface DatasetPolicy {
  readonly dataset: string
  readonly algorithms: {
    /** Content hashes of allowed algorithms: "sha3:<hex>" of a WASI module or GVMI image, "sha256:<hex>" of a container image. */
    readonly hashes?: readonly string[]
    /** Node ids (0x addresses) whose signed algorithm manifests the owner trusts. */
    readonly publishers?: readonly NodeId[]
  }
  /** Node ids allowed to use the dataset; absent: anyone. */
  readonly requesters?: readonly NodeId[]
  readonly uses?: { readonly max?: number; readonly perRequester?: number }
  /** ISO times (inclusive from, exclusive until); and UTC hours of the day [from, until). */
  readonly window?: { readonly from?: string; readonly until?: string; readonly hoursUtc?: readonly [number, number] }
  readonly output: OutputGuardPolicy
  /** Where results and intermediate results may go: "requester" (the agreement's), or other owners' node ids. */
  readonly release?: { readonly to: readonly ('requester' | NodeId)[] }
  readonly privacy?: PrivacyPolicy
}

/** A reason for a decision, naming the rule of the policy that made it. */
export interface PolicyReason {
  /** The rule's path in the policy, e.g. "algorithms.hashes", "requesters", "uses.max", "window.until". */
  readonly rule: string
  readonly message: string
}

export interface PolicyDecision {
  readonly allow: boolean
  readonly dataset: string
  /** Every rule that refused (when refused), or every rule that allowed (when allowed). */
  readonly reasons: readonly PolicyReason[]
}

/** An algorithm manifest signed by its publisher's node key. */
export interface AlgorithmManifest {
  readonly name: string
  readonly version: string
  /** The algorithm's content hash ("sha3:<hex>" / "sha256:<hex>"). */
  readonly hash: string
  readonly outputs?: readonly OutputKind[]
  readonly publisher: NodeId
  /** 0x signature by the publisher's key over the canonical JSON of the other fields. */
  readonly signature: string
}

/** A request to use a dataset, as negotiation and the exe-unit put it to the policy. */
export interface UseRequest {
  readonly dataset: string
  readonly requesterId: NodeId
  /** The algorithm's content hash (from the task package's hash). */
  readonly algorithmHash: string | null
  readonly manifest?: AlgorithmManifest
  /** epoch ms */
  readonly at: number
}

export type AuditKind =
  | 'dataset-added'
  | 'dataset-removed'
  | 'policy-loaded'
  | 'policy-rejected'
  | 'policy-removed'
  | 'decision'
  | 'run'
  | 'release'
  | 'refusal'
  | 'contribution'
  | 'privacy-spent'
  | 'intermediate-moved'

/** One entry of the append-only audit log; `hash` = sha3(prev ‖ canonical JSON of the entry without hash). */
export interface AuditEntry {
  readonly seq: number
  /** ISO time. */
  readonly at: string
  readonly kind: AuditKind
  readonly dataset?: string
  readonly requesterId?: string
  readonly agreementId?: string
  readonly activityId?: string
  readonly allow?: boolean
  readonly reasons?: readonly PolicyReason[]
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>
  /** The previous entry's hash (64 zeros for the first). */
  readonly prev: string
  readonly hash: string
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'at' | 'prev' | 'hash'>

export interface AuditVerification {
  readonly ok: boolean
  readonly entries: number
  /** The first entry whose hash or link does not hold. */
  readonly brokenAt?: number
}

/** The log as the other parts write to it. */
export interface AuditSink {
  append(input: AuditInput): Promise<AuditEntry>
}

/** The owner's registered datasets, as the offers and the grants read them. */
export interface DatasetCatalog {
  list(): readonly DatasetRecord[]
  get(name: string): DatasetRecord | undefined
  /** The sorted fingerprints (custody/fingerprint.ts) of every row of the dataset's files. */
  rowFingerprints(name: string): Promise<BigUint64Array>
  /** Called after every add or remove; returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

/** The policies in force (reloaded from their files as they change) and the decisions they make. */
export interface PolicyJudge {
  /** The policy in force for a dataset; null when it has none (every use is then refused). */
  policy(dataset: string): DatasetPolicy | null
  /** Decides without recording; the caller audits. Counts uses already made (see recordUse). */
  decide(request: UseRequest): PolicyDecision
  /** Counts a use against uses.max and uses.perRequester (an activity admitted). */
  recordUse(dataset: string, requesterId: NodeId): Promise<void>
  /** One line for offers' agora.data.policy, e.g. "algorithms: 2 by hash; min rows 10; logs none; ε 1.0". */
  summary(dataset: string): string
  /** Called after a policy file is (re)loaded or removed; returns the unsubscribe. */
  onChange(listener: (dataset: string) => void): () => void
}

/** The owner's ε ledger per dataset (exact decimals). */
export interface PrivacyLedger {
  /** What is spent so far (decimal string). */
  spent(dataset: string): string
  /** Spends ε before noise is added; throws a CodedError (Forbidden) when the budget would be exceeded, spending nothing. */
  spend(dataset: string, epsilon: string, budget: string, ref: { requesterId: string; agreementId?: string }): Promise<void>
}

/** An owner's side of secure aggregation: its vector, fixed-point encoded and masked, goes to the aggregator. */
export interface SecaggContributor {
  /**
   * `url` is agora-secagg:<aggregator node id>/<session id>; the aggregator
   * must be `requesterId` (the agreement's requester). `values` are the
   * owner's partial; `noise` what the owner's privacy policy adds. Resolves
   * once the masked input is sent; the unmasking round goes on in the daemon.
   */
  contribute(input: ContributionInput): Promise<void>
}

/** One activity's contribution to a secure sum, as its grant hands it to the owner's daemon. */
export interface ContributionInput {
  readonly url: string
  readonly requesterId: NodeId
  readonly dataset: string
  readonly values: readonly number[]
  readonly noise?: PrivacyPolicy
  readonly signal: AbortSignal
}
