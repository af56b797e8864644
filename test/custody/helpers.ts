// Small real implementations of what the guards and grants are given (a
// dataset catalog over a snapshot in a temp dir, a judge that allows by hash
// and requester, an audit log in memory, an ε ledger, a contributor that
// keeps what it was handed), so that the grants run as in the daemon.
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CodedError } from '../../net/kernel.ts'
import { rowFingerprint } from '../../custody/index.ts'
import type {
  AuditEntry,
  AuditInput,
  AuditSink,
  DatasetCatalog,
  DatasetPolicy,
  DatasetRecord,
  PolicyDecision,
  PolicyJudge,
  PolicyReason,
  PrivacyLedger,
  SecaggContributor,
  UseRequest
} from '../../custody/index.ts'

export function sha3Hex(bytes: Uint8Array): string {
  return createHash('sha3-256').update(bytes).digest('hex')
}

/** Snapshots `csv` as <root>/<name>/data.csv and returns its record. */
export async function csvDataset(root: string, name: string, csv: string): Promise<DatasetRecord> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  const bytes = Buffer.from(csv)
  await writeFile(join(dir, 'data.csv'), bytes)
  const lines = csv.split('\n').filter(line => line !== '')
  return {
    name,
    kind: 'csv',
    description: 'test data',
    tags: [],
    source: { path: join(dir, 'data.csv') },
    dir,
    files: [{ path: 'data.csv', bytes: bytes.byteLength, sha3: sha3Hex(bytes) }],
    columns: [],
    rows: Math.max(0, lines.length - 1),
    bytes: bytes.byteLength,
    price: { perUse: '0', perHour: '0' },
    addedAt: new Date(0).toISOString()
  }
}

export class TestCatalog implements DatasetCatalog {
  readonly #records = new Map<string, DatasetRecord>()

  add(record: DatasetRecord): void {
    this.#records.set(record.name, record)
  }

  list(): readonly DatasetRecord[] {
    return [...this.#records.values()]
  }

  get(name: string): DatasetRecord | undefined {
    return this.#records.get(name)
  }

  async rowFingerprints(name: string): Promise<BigUint64Array> {
    const record = this.#records.get(name)
    if (record === undefined) throw new CodedError('NotFound', `no dataset ${name}`)
    const fingerprints: bigint[] = []
    for (const file of record.files) {
      const content = await readFile(join(record.dir, file.path))
      let start = 0
      while (start <= content.byteLength) {
        const found = content.indexOf(0x0a, start)
        const end = found === -1 ? content.byteLength : found
        const fingerprint = rowFingerprint(content.subarray(start, end))
        if (fingerprint !== null) fingerprints.push(fingerprint)
        if (found === -1) break
        start = end + 1
      }
    }
    return BigUint64Array.from(fingerprints.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  }

  onChange(): () => void {
    return () => {}
  }
}

/** Allows an algorithm by hash and a requester by id, as the policy lists them; counts uses. */
export class TestJudge implements PolicyJudge {
  readonly policies = new Map<string, DatasetPolicy>()
  readonly uses = new Map<string, number>()

  policy(dataset: string): DatasetPolicy | null {
    return this.policies.get(dataset) ?? null
  }

  decide(request: UseRequest): PolicyDecision {
    const policy = this.policies.get(request.dataset)
    if (policy === undefined) return { allow: false, dataset: request.dataset, reasons: [{ rule: 'policy', message: 'no policy' }] }
    const refused: PolicyReason[] = []
    if (request.algorithmHash === null || !(policy.algorithms.hashes ?? []).includes(request.algorithmHash)) {
      refused.push({ rule: 'algorithms.hashes', message: `algorithm ${request.algorithmHash} is not approved` })
    }
    if (policy.requesters !== undefined && !policy.requesters.includes(request.requesterId)) {
      refused.push({ rule: 'requesters', message: `requester ${request.requesterId} is not allowed` })
    }
    const max = policy.uses?.max
    if (max !== undefined && (this.uses.get(request.dataset) ?? 0) >= max) refused.push({ rule: 'uses.max', message: `the ${max} uses are spent` })
    if (refused.length > 0) return { allow: false, dataset: request.dataset, reasons: refused }
    return { allow: true, dataset: request.dataset, reasons: [{ rule: 'algorithms.hashes', message: 'approved by hash' }] }
  }

  async recordUse(dataset: string): Promise<void> {
    this.uses.set(dataset, (this.uses.get(dataset) ?? 0) + 1)
  }

  summary(): string {
    return ''
  }

  onChange(): () => void {
    return () => {}
  }
}

export class TestAudit implements AuditSink {
  readonly entries: AuditEntry[] = []

  async append(input: AuditInput): Promise<AuditEntry> {
    const prev = this.entries.at(-1)?.hash ?? '0'.repeat(64)
    const body = { ...input, seq: this.entries.length, at: new Date(0).toISOString(), prev }
    const entry: AuditEntry = { ...body, hash: sha3Hex(Buffer.from(prev + JSON.stringify(body))) }
    this.entries.push(entry)
    return entry
  }

  of(kind: AuditEntry['kind']): AuditEntry[] {
    return this.entries.filter(entry => entry.kind === kind)
  }
}

/** An exact ε ledger in thousandths. */
export class TestLedger implements PrivacyLedger {
  readonly #spent = new Map<string, number>()

  spent(dataset: string): string {
    return String((this.#spent.get(dataset) ?? 0) / 1000)
  }

  async spend(dataset: string, epsilon: string, budget: string): Promise<void> {
    const next = (this.#spent.get(dataset) ?? 0) + Math.round(Number(epsilon) * 1000)
    if (next > Math.round(Number(budget) * 1000)) throw new CodedError('Forbidden', `the ε budget of ${dataset} is spent`)
    this.#spent.set(dataset, next)
  }
}

export class TestContributor implements SecaggContributor {
  readonly contributions: { url: string; requesterId: string; dataset: string; values: readonly number[]; noised: boolean }[] = []

  async contribute(input: Parameters<SecaggContributor['contribute']>[0]): Promise<void> {
    this.contributions.push({ url: input.url, requesterId: input.requesterId, dataset: input.dataset, values: input.values, noised: input.noise !== undefined })
  }
}

export function testPolicy(
  dataset: string,
  hashes: string[],
  output: Partial<DatasetPolicy['output']> = {},
  extra: Partial<DatasetPolicy> = {}
): DatasetPolicy {
  return {
    dataset,
    algorithms: { hashes },
    output: { maxBytes: 4096, minRows: 3, kinds: ['aggregate', 'histogram', 'vector'], logs: 'none', exitCodes: 'status', ...output },
    ...extra
  }
}
