// When a provider claims its vouchers: a deposit is due when its unclaimed
// value is worth the gas (at least `worthGasFactor` times what a claim costs
// now), when its agreement has ended, or when its deadline is less than the
// margin away. Once a claim goes out, every other deposit whose unclaimed
// value is worth its share of that claimMany rides along.

export interface ClaimCandidate {
  readonly depositId: string
  /** The best voucher's cumulative minus what the chain shows claimed. */
  readonly unclaimed: bigint
  /** Epoch ms. */
  readonly deadlineMs: number
  readonly ended: boolean
}

export interface ClaimPolicy {
  readonly worthGasFactor: number
  readonly deadlineMarginMs: number
}

export interface ClaimCosts {
  readonly feePerGas: bigint
  /** Gas of a claimMany with one claim (the transaction's base included). */
  readonly gasAlone: bigint
  /** Gas each further claim adds to a claimMany. */
  readonly gasEach: bigint
}

/** Measured on the dev chain (see payment.gas_per_deposit_claim): one claim alone, and each one more in a batch, rounded up. */
export const CLAIM_GAS: Pick<ClaimCosts, 'gasAlone' | 'gasEach'> = { gasAlone: 60_000n, gasEach: 18_000n }

export type ClaimReason = 'ended' | 'deadline' | 'worth' | 'rides'

/** The deposits to claim now, each with why; none when nothing is due. */
export function claimsDue(candidates: readonly ClaimCandidate[], now: number, policy: ClaimPolicy, costs: ClaimCosts): Map<string, ClaimReason> {
  const open = candidates.filter(c => c.unclaimed > 0n && now < c.deadlineMs)
  const factor = BigInt(Math.round(policy.worthGasFactor * 1000))
  const worth = (c: ClaimCandidate, gas: bigint): boolean => c.unclaimed * 1000n >= factor * gas * costs.feePerGas
  const due = new Map<string, ClaimReason>()
  for (const c of open) {
    if (c.ended) due.set(c.depositId, 'ended')
    else if (now >= c.deadlineMs - policy.deadlineMarginMs) due.set(c.depositId, 'deadline')
    else if (worth(c, costs.gasAlone)) due.set(c.depositId, 'worth')
  }
  if (due.size === 0) return due
  for (const c of open) if (!due.has(c.depositId) && worth(c, costs.gasEach)) due.set(c.depositId, 'rides')
  return due
}

/** When the policy must look again at the latest: the soonest deadline margin of a deposit with something unclaimed. */
export function nextDeadlineCheck(candidates: readonly ClaimCandidate[], now: number, policy: ClaimPolicy): number | undefined {
  const times = candidates.filter(c => c.unclaimed > 0n && now < c.deadlineMs).map(c => c.deadlineMs - policy.deadlineMarginMs)
  return times.length === 0 ? undefined : Math.min(...times)
}
