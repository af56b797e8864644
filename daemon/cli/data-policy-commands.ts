// `agora data policy show|check|template`, `agora data audit` and `agora
// data manifest sign|verify`: the owner's policies and audit log on the
// running daemon (through its admin socket, as /agora-api/v1/custody
// answers), a starting policy, and algorithm manifests signed with the node
// key and verified by anyone.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { printResult, textOption, withDaemon } from './daemon-calls.ts'
import { cellOf, labelled, table } from './table.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

const CUSTODY_API = '/agora-api/v1/custody'
const NO_DAEMON_HINT = "start the daemon (agora service run) to see the node's policies and audit log"
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
const NODE_ID = /^0x[0-9a-fA-F]{40}$/
const ALGORITHM = /^(sha3:[0-9a-fA-F]{56,128}|sha256:[0-9a-fA-F]{64}|hash:(\/\/)?sha3:[0-9a-fA-F]+:.+)$/
const KIND = /^[a-z][a-z-]{0,31}$/
const LIMIT = /^[1-9][0-9]{0,3}$/
const OUTPUT_KINDS = ['aggregate', 'histogram', 'vector', 'model', 'table', 'text']
const MAX_MANIFEST_BYTES = 65_536
const DEFAULT_AUDIT_LIMIT = 100

type Json = Record<string, unknown>

async function call<T>(values: OptionValues, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  return await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<T>(method, `${CUSTODY_API}${path}`, body))
}

function datasetName(name: string | undefined): string {
  if (name === undefined || !NAME.test(name)) {
    throw new UsageError(`dataset name ${JSON.stringify((name ?? '').slice(0, 80))}: lowercase letters, digits, '.', '_' and '-', at most 64`)
  }
  return name
}

function required(values: OptionValues, name: string, pattern: RegExp, what: string): string {
  const value = textOption(values, name, pattern, what)
  if (value === undefined) throw new UsageError(`--${name} is required (${what})`)
  return value
}

/** A JSON file given on the command line, bounded, parsed. */
async function jsonFile(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    const bytes = await readFile(resolve(path))
    if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new UsageError(`${what} ${path}: larger than ${MAX_MANIFEST_BYTES} bytes`)
    text = bytes.toString('utf8')
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${what} ${path} is not JSON`)
  }
}

export const dataPolicyShow: CommandRun = async ({ values, positionals }) => {
  const view = await call<Json>(values, 'GET', `/policies/${datasetName(positionals[0])}`)
  return printResult(values, view, () => {
    const { policy, ...rest } = view
    const head = labelled({
      dataset: rest.dataset,
      file: rest.file,
      'in force': rest.inForce ? 'yes' : 'no: every use is refused',
      sha3: rest.sha3,
      summary: rest.summary
    })
    return policy === null ? head : `${head}\n${JSON.stringify(policy, null, 2)}\n`
  })
}

export const dataPolicyCheck: CommandRun = async ({ values, positionals }) => {
  const dataset = datasetName(positionals[0])
  const body: Json = {
    requesterId: required(values, 'requester', NODE_ID, 'a node id (0x and 40 hex digits)'),
    algorithm: required(values, 'algorithm', ALGORITHM, 'sha3:<hex>, sha256:<hex> or hash:sha3:<hex>:<url>')
  }
  if (typeof values.manifest === 'string') body.manifest = await jsonFile(values.manifest, 'manifest')
  const decision = await call<{ allow: boolean; reasons: Json[] }>(values, 'POST', `/policies/${dataset}/check`, body)
  printResult(values, decision, () =>
    [
      `${decision.allow ? 'ALLOWED' : 'REFUSED'}: dataset ${dataset} (nothing recorded)`,
      table(
        ['RULE', 'REASON'],
        decision.reasons.map(reason => [cellOf(reason.rule), cellOf(reason.message)])
      )
    ].join('\n')
  )
  return decision.allow ? 0 : 1
}

export const dataPolicyTemplate: CommandRun = async ({ positionals }) => {
  const { policyTemplate } = await import('../../custody/index.ts')
  process.stdout.write(policyTemplate(datasetName(positionals[0])))
  return 0
}

export const dataAudit: CommandRun = async ({ values }) => {
  if (values.verify === true) {
    const verified = await call<{ ok: boolean; entries: number; brokenAt?: number }>(values, 'GET', '/audit/verify')
    printResult(values, verified, () =>
      verified.ok
        ? `the audit log verifies: ${verified.entries} entries, each linked to the one before\n`
        : `the audit log is BROKEN at entry ${verified.brokenAt}: it was edited, removed or reordered there (${verified.entries} entries verify before it)\n`
    )
    return verified.ok ? 0 : 1
  }
  const query = new URLSearchParams()
  const dataset = textOption(values, 'dataset', NAME, 'a dataset name')
  const kind = textOption(values, 'kind', KIND, 'an entry kind (decision, run, release, …)')
  if (dataset !== undefined) query.set('dataset', dataset)
  if (kind !== undefined) query.set('kind', kind)
  query.set('limit', textOption(values, 'limit', LIMIT, 'a number from 1 to 9999') ?? String(DEFAULT_AUDIT_LIMIT))
  const entries = await call<Json[]>(values, 'GET', `/audit?${query}`)
  return printResult(values, entries, () => {
    if (entries.length === 0) return 'no audit entries\n'
    return table(
      ['SEQ', 'AT', 'KIND', 'DATASET', 'REQUESTER', 'ALLOW', 'WHAT'],
      entries.map(entry => [entry.seq, entry.at, entry.kind, entry.dataset, entry.requesterId, entry.allow, whatOf(entry)].map(cellOf))
    )
  })
}

export const dataManifestSign: CommandRun = async ({ values }) => {
  const outputs = Array.isArray(values.output) ? values.output : []
  for (const kind of outputs)
    if (!OUTPUT_KINDS.includes(kind)) throw new UsageError(`--output ${JSON.stringify(kind.slice(0, 40))}: one of ${OUTPUT_KINDS.join(', ')}`)
  const name = required(values, 'name', /^.{1,100}$/, '1 to 100 characters')
  const version = required(values, 'version', /^.{1,50}$/, '1 to 50 characters')
  const hash = hashOf(required(values, 'hash', ALGORITHM, 'sha3:<hex>, sha256:<hex> or hash:sha3:<hex>:<url>'))
  const manifest = await call<Json>(values, 'POST', '/manifests', { name, version, hash, ...(outputs.length === 0 ? {} : { outputs: [...new Set(outputs)] }) })
  // One line of JSON: what a demand carries in agora.data.manifest, and what `verify` reads.
  process.stdout.write(`${JSON.stringify(manifest)}\n`)
  return 0
}

export const dataManifestVerify: CommandRun = async ({ values, positionals }) => {
  const file = positionals[0]
  if (file === undefined) throw new UsageError('give the manifest file to verify')
  const manifest = await jsonFile(file, 'manifest')
  const { checkManifest } = await import('../../custody/index.ts')
  const checked = checkManifest(manifest)
  printResult(values, checked, () => {
    if (!checked.ok) return `NOT VERIFIED: ${checked.why}\n`
    const { name, version, hash, outputs } = manifest as Json
    return `verified: signed by ${checked.publisher}\n${labelled({ name, version, hash, outputs })}`
  })
  return checked.ok ? 0 : 1
}

/** The content hash of a task package, as the policy names algorithms. */
function hashOf(algorithm: string): string {
  const match = /^hash:(?:\/\/)?sha3:([0-9a-fA-F]+):/.exec(algorithm)
  return (match === null ? algorithm : `sha3:${match[1]}`).toLowerCase()
}

function whatOf(entry: Json): string {
  const reasons = Array.isArray(entry.reasons) ? (entry.reasons as Json[]).map(reason => `${String(reason.rule)}: ${String(reason.message)}`) : []
  const detail =
    entry.detail !== null && typeof entry.detail === 'object' ? Object.entries(entry.detail as Json).map(([key, value]) => `${key}=${cellOf(value)}`) : []
  return [...reasons, ...detail].join('; ') || '-'
}
