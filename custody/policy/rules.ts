// The rules of a policy, each judged on its own so that a refusal names every
// rule that refused, and an allowance every rule that allowed (as a policy
// reasoner answers with its reasons). Pure: the uses so far and the time come
// in with the request.
import type { DatasetPolicy, PolicyDecision, PolicyReason, UseRequest } from '../model.ts'
import { checkManifest } from './manifest.ts'

/** The uses already counted against the policy's limits. */
export interface UsesSoFar {
  readonly total: number
  readonly byRequester: number
}

interface Verdict {
  readonly ok: boolean
  readonly reason: PolicyReason
}

const verdict = (ok: boolean, rule: string, message: string): Verdict => ({ ok, reason: { rule, message } })

export function judge(policy: DatasetPolicy, request: UseRequest, uses: UsesSoFar): PolicyDecision {
  const verdicts = [
    ...algorithmVerdicts(policy, request),
    requesterVerdict(policy, request),
    ...useVerdicts(policy, uses),
    ...windowVerdicts(policy, request.at)
  ]
  const refusing = verdicts.filter(each => !each.ok)
  const allow = refusing.length === 0
  return { allow, dataset: policy.dataset, reasons: (allow ? verdicts : refusing).map(each => each.reason) }
}

/** A policy refusing everything: the dataset has none in force. */
export function noPolicy(dataset: string): PolicyDecision {
  return { allow: false, dataset, reasons: [{ rule: 'policy', message: `dataset ${dataset} has no policy in force: every use is refused` }] }
}

/** Allowed by hash, or by a manifest its trusted publisher signed for this very hash; when neither, each way says why not. */
function algorithmVerdicts(policy: DatasetPolicy, request: UseRequest): Verdict[] {
  const hashes = policy.algorithms.hashes ?? []
  const publishers = (policy.algorithms.publishers ?? []).map(id => id.toLowerCase())
  const hash = request.algorithmHash?.toLowerCase() ?? null
  if (hash === null) return [verdict(false, 'algorithms.hashes', 'the algorithm names no content hash (its task package must be hash:sha3:<hex>:<url>)')]
  if (hashes.includes(hash)) return [verdict(true, 'algorithms.hashes', `algorithm ${hash} is allowed by its hash`)]
  const byPublisher = publisherVerdict(publishers, hash, request.manifest)
  if (byPublisher?.ok === true) return [byPublisher]
  const refusals: Verdict[] = []
  if (hashes.length > 0 || publishers.length === 0) {
    refusals.push(
      verdict(false, 'algorithms.hashes', hashes.length === 0 ? 'the policy allows no algorithm by hash' : `algorithm ${hash} is not among the allowed hashes`)
    )
  }
  if (byPublisher !== undefined) refusals.push(byPublisher)
  return refusals
}

/** Undefined when neither a publisher is trusted nor a manifest given: the rule says nothing then. */
function publisherVerdict(publishers: readonly string[], hash: string, manifest: unknown): Verdict | undefined {
  const rule = 'algorithms.publishers'
  if (manifest === undefined) return publishers.length === 0 ? undefined : verdict(false, rule, 'no signed manifest names the algorithm')
  if (publishers.length === 0) return verdict(false, rule, 'the policy trusts no publisher of algorithm manifests')
  const checked = checkManifest(manifest)
  if (!checked.ok) return verdict(false, rule, `the manifest does not verify: ${checked.why}`)
  const signed = manifest as { name: string; version: string; hash: string }
  if (!publishers.includes(checked.publisher)) return verdict(false, rule, `the manifest's publisher ${checked.publisher} is not trusted`)
  if (signed.hash.toLowerCase() !== hash) return verdict(false, rule, `the manifest is for ${signed.hash}, not for the algorithm ${hash}`)
  return verdict(true, rule, `${signed.name} ${signed.version} (${hash}) is signed by the trusted publisher ${checked.publisher}`)
}

function requesterVerdict(policy: DatasetPolicy, request: UseRequest): Verdict {
  const id = request.requesterId.toLowerCase()
  if (policy.requesters === undefined) return verdict(true, 'requesters', 'any requester may use the dataset')
  return policy.requesters.some(allowed => allowed.toLowerCase() === id)
    ? verdict(true, 'requesters', `requester ${id} is allowed`)
    : verdict(false, 'requesters', `requester ${id} is not among the allowed requesters`)
}

function useVerdicts(policy: DatasetPolicy, uses: UsesSoFar): Verdict[] {
  const verdicts: Verdict[] = []
  const { max, perRequester } = policy.uses ?? {}
  if (max !== undefined) {
    verdicts.push(
      uses.total < max ? verdict(true, 'uses.max', `${uses.total} of ${max} uses made`) : verdict(false, 'uses.max', `all ${max} uses of the dataset are made`)
    )
  }
  if (perRequester !== undefined) {
    verdicts.push(
      uses.byRequester < perRequester
        ? verdict(true, 'uses.perRequester', `${uses.byRequester} of ${perRequester} uses by this requester made`)
        : verdict(false, 'uses.perRequester', `this requester has made all its ${perRequester} uses`)
    )
  }
  return verdicts
}

function windowVerdicts(policy: DatasetPolicy, at: number): Verdict[] {
  const window = policy.window
  if (window === undefined) return []
  const verdicts: Verdict[] = []
  const now = new Date(at).toISOString()
  if (window.from !== undefined) {
    const from = Date.parse(window.from)
    verdicts.push(
      at >= from ? verdict(true, 'window.from', `open since ${window.from}`) : verdict(false, 'window.from', `not open before ${window.from} (now ${now})`)
    )
  }
  if (window.until !== undefined) {
    const until = Date.parse(window.until)
    verdicts.push(
      at < until ? verdict(true, 'window.until', `open until ${window.until}`) : verdict(false, 'window.until', `closed since ${window.until} (now ${now})`)
    )
  }
  if (window.hoursUtc !== undefined) {
    const [from, until] = window.hoursUtc
    const hour = new Date(at).getUTCHours()
    // from > until wraps past midnight: [22, 6) is 22:00 to 06:00.
    const open = from < until ? hour >= from && hour < until : hour >= from || hour < until
    const span = `${pad(from)}:00-${pad(until)}:00 UTC`
    verdicts.push(open ? verdict(true, 'window.hoursUtc', `open ${span}`) : verdict(false, 'window.hoursUtc', `open only ${span} (now ${now})`))
  }
  return verdicts
}

const pad = (hour: number): string => String(hour).padStart(2, '0')
