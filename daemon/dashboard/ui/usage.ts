// An activity's live usage: its state and usage counters, named by its
// agreement's golem.com.usage.vector, read again at the rate they change.
import { get } from './api.ts'

// The provider's exe-unit measures a live activity's usage in the background,
// 2 s after the end of the last measurement (exe-unit.ts,
// DEFAULT_USAGE_SAMPLE_MS); the usage route answers the latest. Asking more
// often would show the same numbers again.
export const USAGE_REFRESH_MS = 2_000

export interface Usage {
  state: string
  /** Seconds, CPU seconds and peak memory in GiB, when the agreement counts them. */
  durationSec?: number
  cpuSec?: number
  memoryGib?: number
  /** When the provider measured it (ms since the epoch). */
  measuredAt: number
}

interface AgreementTerms {
  offer: { properties: Record<string, unknown> }
}

const ACTIVITY = '/activity-api/v1/activity'
const COUNTERS = { 'golem.usage.duration_sec': 'durationSec', 'golem.usage.cpu_sec': 'cpuSec', 'golem.usage.gib': 'memoryGib' } as const

/** A property of an offer, written flat ("a.b.c") or nested. */
export function property(properties: Record<string, unknown>, name: string): unknown {
  if (name in properties) return properties[name]
  let at: unknown = properties
  for (const part of name.split('.')) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as Record<string, unknown>)[part]
  }
  return at
}

const vectors = new Map<string, string[]>()

/** The agreement's usage vector (the order of the usage counters), read once per agreement. */
async function usageVector(agreementId: string, signal: AbortSignal): Promise<string[]> {
  const known = vectors.get(agreementId)
  if (known !== undefined) return known
  const agreement = await get<AgreementTerms>(`/market-api/v1/agreements/${encodeURIComponent(agreementId)}`, signal)
  const vector = property(agreement.offer.properties, 'golem.com.usage.vector')
  const names = Array.isArray(vector) ? vector.map(String) : []
  vectors.set(agreementId, names)
  return names
}

export async function readUsage(activityId: string, agreementId: string, signal: AbortSignal): Promise<Usage> {
  const id = encodeURIComponent(activityId)
  const [state, usage, vector] = await Promise.all([
    get<{ state: [string, string | null] }>(`${ACTIVITY}/${id}/state`, signal),
    get<{ currentUsage: number[]; timestamp: number }>(`${ACTIVITY}/${id}/usage`, signal),
    usageVector(agreementId, signal)
  ])
  // The API's timestamp is in seconds since the epoch.
  const read: Usage = { state: state.state[0], measuredAt: usage.timestamp * 1000 }
  vector.forEach((name, at) => {
    const field = COUNTERS[name as keyof typeof COUNTERS]
    const value = usage.currentUsage[at]
    if (field !== undefined && value !== undefined) read[field] = value
  })
  return read
}

export const isLive = (state: string): boolean => state !== 'Terminated' && state !== 'Unresponsive'
