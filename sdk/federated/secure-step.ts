// A step by secure aggregation: a session on the requester's daemon (the
// aggregator) for the owners held, the local step at every owner, each
// owner's output file sent to the session by the owner's daemon (masked,
// with the owner's noise when its policy adds some), and the sum waited for.
// The requester never sees a partial. An owner that fails is a dropout; the
// session's sum is exact while at least `threshold` owners finish.
import { SdkError } from '../errors.ts'
import type { SecureFederatedResult } from '../types.ts'
import { belowThreshold, dropOwner } from './federation.ts'
import type { Owner, StepContext } from './federation.ts'
import type { CheckedAggregate } from './options.ts'
import { FederatedRunError } from '../errors.ts'
import { contributeToSession, openSecureSession, secureSessionEnd } from './secagg-session.ts'

export interface SecureStep {
  readonly args: readonly string[]
  readonly output: string
  readonly aggregate: Extract<CheckedAggregate, { mode: 'secure' }>
  readonly signal?: AbortSignal
}

export async function runSecureStep(
  context: StepContext,
  owners: readonly Owner[],
  step: SecureStep
): Promise<Omit<SecureFederatedResult, 'owners' | 'rentals' | 'cost'>> {
  const { api } = context.client
  const signal = step.signal === undefined ? {} : { signal: step.signal }
  const { aggregate } = step
  const { mode: _mode, ...terms } = aggregate
  const session = await openSecureSession(api, { ...terms, participants: owners.map(owner => owner.report.providerId) }, step.signal)
  const sent = await Promise.all(
    owners.map(async owner => {
      try {
        const rental = owner.rental!
        await rental.run(context.command, step.args, { timeoutMs: context.stepTimeoutMs, ...signal })
        await contributeToSession(api, rental.activityId, step.output, session.url, step.signal)
        return true
      } catch (error) {
        dropOwner(owner, error)
        return false
      }
    })
  )
  const sentCount = sent.filter(Boolean).length
  // Too few sent for any sum: the session fails on its own; the caller need not wait for its rounds.
  if (sentCount < aggregate.threshold)
    throw belowThreshold(
      owners.map(owner => owner.report),
      sentCount,
      aggregate.threshold
    )
  const end = await secureSessionEnd(api, session.sessionId, step.signal)
  const survivors = new Set(end.survivors.map(id => id.toLowerCase()))
  for (const owner of owners)
    if (owner.report.status === 'ok' && !survivors.has(owner.report.providerId))
      dropOwner(owner, new SdkError('Timeout', "not among the secure sum's survivors"))
  if (end.state === 'Failed' || end.sum === undefined || end.sumFixed === undefined) {
    const reports = owners.map(owner => owner.report)
    throw new FederatedRunError(
      `the secure sum failed with ${end.survivors.length} of ${owners.length} owners (threshold ${aggregate.threshold}): ${end.error ?? 'no reason given'}`,
      reports
    )
  }
  return {
    aggregate: 'secure',
    sessionId: end.sessionId,
    sum: end.sum,
    sumFixed: end.sumFixed,
    fractionalBits: end.fractionalBits,
    survivors: end.survivors,
    dropped: end.dropped
  }
}
