// One line about a policy for an offer's agora.data.policy: what a requester
// needs to know before asking (which algorithms, what comes back), never who
// else is allowed.
import type { DatasetPolicy } from '../model.ts'

export function policySummary(policy: DatasetPolicy | null): string {
  if (policy === null) return 'no policy: every use is refused'
  const parts: string[] = []
  const hashes = policy.algorithms.hashes?.length ?? 0
  const publishers = policy.algorithms.publishers?.length ?? 0
  const ways = [hashes > 0 ? `${hashes} by hash` : '', publishers > 0 ? `${publishers} ${publishers === 1 ? 'publisher' : 'publishers'}` : ''].filter(Boolean)
  parts.push(`algorithms: ${ways.length === 0 ? 'none' : ways.join(', ')}`)
  if (policy.requesters !== undefined) parts.push('requesters listed')
  if (policy.uses?.max !== undefined) parts.push(`at most ${policy.uses.max} uses`)
  if (policy.uses?.perRequester !== undefined) parts.push(`${policy.uses.perRequester} per requester`)
  if (policy.window?.hoursUtc !== undefined) parts.push(`hours ${policy.window.hoursUtc[0]}-${policy.window.hoursUtc[1]} UTC`)
  if (policy.window?.until !== undefined) parts.push(`until ${policy.window.until}`)
  parts.push(`outputs ${policy.output.kinds.join(',') || 'none'}`)
  parts.push(`max ${policy.output.maxBytes} bytes`)
  parts.push(`min rows ${policy.output.minRows}`)
  parts.push(`logs ${policy.output.logs}`)
  parts.push(`exit codes ${policy.output.exitCodes}`)
  if (policy.privacy !== undefined) parts.push(`${policy.privacy.mechanism} ε ${policy.privacy.epsilonPerQuery}/query of ${policy.privacy.epsilonBudget}`)
  return parts.join('; ')
}
