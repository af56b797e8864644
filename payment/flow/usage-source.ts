// What the provider's side reads of the exe-unit (its ActivityUsageSource), by shape:
// payment does not import the exe-unit module.
export interface ActivityInfoLike {
  readonly activityId: string
  readonly agreementId: string
  readonly state: { readonly state: readonly [string, ...unknown[]] | readonly string[] }
}

export interface UsageEventLike {
  readonly activityId: string
  readonly counters: Record<string, number>
  readonly final: boolean
}

export interface UsageSourceLike {
  usage: (activityId: string) => Promise<Record<string, number>>
  listActivities: (filter?: { agreementId?: string }) => ActivityInfoLike[]
  on: (event: 'usage', listener: (event: UsageEventLike) => void) => unknown
  off: (event: 'usage', listener: (event: UsageEventLike) => void) => unknown
}
