// The output guard: what a file of /out must be before it leaves an activity
// on a dataset. Checked in this order, the cheap checks first: where it goes
// (release.to), the bytes released so far with it (output.maxBytes, by the
// file's size before it is read), not a copy of a dataset file (sha3), a
// declared kind the policy allows (output.kinds), the kind's exact shape
// (output.format), the rows behind it (output.minRows), and for text and
// tables no line that is a row of the dataset (fingerprints). Every release
// and every refusal is audited with the reasons.
import { readFile } from 'node:fs/promises'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { CodedError } from '../../net/kernel.ts'
import type { OutputFile } from '../../exe-unit/index.ts'
import { hasFingerprint, rowFingerprint } from '../fingerprint.ts'
import type { AuditSink, DatasetPolicy, DatasetRecord, OutputKind, PolicyReason } from '../model.ts'
import { checkJsonResult, isJsonKind } from './result-kinds.ts'
import type { JsonResult } from './result-kinds.ts'

/** The most JSON the guard parses, whatever output.maxBytes allows. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024
const NEWLINE = 0x0a
const TABLE_NAME = /\.(csv|tsv)$/i

export interface GuardContext {
  readonly requesterId: string
  readonly agreementId: string
  readonly activityId: string
}

export interface GuardOptions {
  readonly dataset: DatasetRecord
  readonly policy: DatasetPolicy
  /** The dataset's sorted row fingerprints, read once when first needed. */
  readonly fingerprints: () => Promise<BigUint64Array>
  readonly audit: AuditSink
  readonly context: GuardContext
}

/** What passed: its kind, its bytes, and a vector's values. */
export interface ReleasedOutput {
  readonly kind: OutputKind
  readonly bytes: number
  readonly values?: readonly number[]
}

export class OutputGuard {
  readonly #options: GuardOptions
  #releasedBytes = 0
  #fingerprints: Promise<BigUint64Array> | undefined

  constructor(options: GuardOptions) {
    this.#options = options
  }

  /** Bytes released from this activity so far. */
  get releasedBytes(): number {
    return this.#releasedBytes
  }

  /** Passes the file (audited "release") or throws Forbidden naming the rules (audited "refusal"). */
  async check(file: OutputFile, options: { toSecagg?: boolean } = {}): Promise<ReleasedOutput> {
    const outcome = await this.#judge(file, options.toSecagg === true)
    const { dataset, context } = this.#options
    const base = { dataset: dataset.name, ...context }
    const detail = { file: file.containerPath, bytes: file.bytes, destination: file.destination }
    if ('reasons' in outcome) {
      await this.#options.audit.append({ kind: 'refusal', ...base, allow: false, reasons: outcome.reasons, detail })
      throw new CodedError('Forbidden', `${file.containerPath} may not leave: ${outcome.reasons.map(reason => reason.message).join('; ')}`)
    }
    this.#releasedBytes += file.bytes
    await this.#options.audit.append({
      kind: 'release',
      ...base,
      allow: true,
      reasons: [{ rule: 'output.kinds', message: `a ${outcome.kind} result of ${file.bytes} bytes` }],
      detail: { ...detail, kind: outcome.kind }
    })
    return outcome
  }

  async #judge(file: OutputFile, toSecagg: boolean): Promise<ReleasedOutput | { reasons: PolicyReason[] }> {
    const { policy, dataset } = this.#options
    const { output } = policy
    const refuse = (rule: string, message: string): { reasons: PolicyReason[] } => ({ reasons: [{ rule, message }] })
    if (policy.release !== undefined && !policy.release.to.includes('requester')) {
      return refuse('release.to', "the policy releases nothing to the agreement's requester")
    }
    if (this.#releasedBytes + file.bytes > output.maxBytes) {
      return refuse(
        'output.maxBytes',
        `${file.bytes} bytes more would pass the ${output.maxBytes} bytes the policy lets out of one activity (${this.#releasedBytes} released)`
      )
    }
    const content = await readFile(file.hostPath)
    if (content.byteLength !== file.bytes) return refuse('output.format', 'the file changed while it was checked')
    const digest = bytesToHex(sha3_256(content))
    if (dataset.files.some(each => each.sha3 === digest)) return refuse('output.copiedFile', 'the file is a copy of a dataset file')
    const json = content.byteLength <= MAX_JSON_BYTES ? parseObject(content) : undefined
    if (json !== undefined && isJsonKind(json.kind)) {
      if (!output.kinds.includes(json.kind)) return refuse('output.kinds', `the policy allows no ${json.kind} results (${output.kinds.join(', ') || 'none'})`)
      const { result, reasons } = checkJsonResult(json, output.minRows)
      if (result === undefined) return { reasons }
      if (toSecagg && result.kind !== 'vector') return refuse('output.kinds', 'a secure aggregation takes a vector result')
      const copied = await this.#copiedKey(result)
      if (copied !== null) return refuse('output.copiedRows', `histogram key ${copied + 1} is a row of the dataset`)
      return { kind: result.kind, bytes: file.bytes, ...(result.values === undefined ? {} : { values: result.values }) }
    }
    if (toSecagg) return refuse('output.kinds', 'a secure aggregation takes a vector result')
    const kind: OutputKind = TABLE_NAME.test(file.containerPath) ? 'table' : 'text'
    if (!output.kinds.includes(kind)) {
      return refuse('output.kinds', `the file is no JSON result of an allowed kind, and the policy allows no ${kind} (${output.kinds.join(', ') || 'none'})`)
    }
    if (!isUtf8(content)) return refuse('output.format', `a ${kind} result must be UTF-8 text`)
    const line = await this.#copiedLine(content)
    if (line !== null) return refuse('output.copiedRows', `line ${line} is a row of the dataset`)
    return { kind, bytes: file.bytes }
  }

  #rows(): Promise<BigUint64Array> {
    this.#fingerprints ??= this.#options.fingerprints()
    return this.#fingerprints
  }

  /** The 1-based number of the first line that is a dataset row, or null. */
  async #copiedLine(content: Uint8Array): Promise<number | null> {
    const rows = await this.#rows()
    let start = 0
    for (let line = 1; start <= content.byteLength; line++) {
      const found = content.indexOf(NEWLINE, start)
      const end = found === -1 ? content.byteLength : found
      const fingerprint = rowFingerprint(content.subarray(start, end))
      if (fingerprint !== null && hasFingerprint(rows, fingerprint)) return line
      if (found === -1) return null
      start = end + 1
    }
    return null
  }

  async #copiedKey(result: JsonResult): Promise<number | null> {
    if (result.keys === undefined || result.keys.length === 0) return null
    const rows = await this.#rows()
    const encoder = new TextEncoder()
    for (const [index, key] of result.keys.entries()) {
      const fingerprint = rowFingerprint(encoder.encode(key))
      if (fingerprint !== null && hasFingerprint(rows, fingerprint)) return index
    }
    return null
  }
}

function parseObject(content: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function isUtf8(content: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content)
    return true
  } catch {
    return false
  }
}
