// A workflow's secure step: a secure-aggregation session on the requester's
// daemon for the owners whose steps are Done, each one's output sent to it
// by the step's still-held activity (masked at the owner, with its guards,
// noise and privacy budget), and the sum waited for. Steps that failed, and
// contributions that do not arrive, are dropouts; below the threshold the
// step fails, naming them.
import type { ApiClient } from '../client/api-client.ts'
import { SdkError } from '../errors.ts'
import { openSecureSession, secureSessionEnd } from '../federated/secagg-session.ts'
import type { SecureAggregateSpec, SecureSumOutput } from './document.ts'
import type { StepSession } from './runner.ts'

export interface SecureSumInput {
  readonly name: string
  /** The owner's step it comes from, and that step's output file. */
  readonly step: string
  readonly output: string
  /** The owner's node id. */
  readonly owner: string
  /** The held session of the step, when it is Done. */
  readonly session?: StepSession
  /** Why the step has nothing to contribute. */
  readonly failure?: string
}

export async function runSecureSum(api: ApiClient, terms: SecureAggregateSpec, inputs: readonly SecureSumInput[], signal: AbortSignal): Promise<Uint8Array> {
  const threshold = terms.threshold ?? inputs.length
  const dropouts = new Map<string, string>()
  for (const input of inputs) {
    if (input.failure !== undefined) dropouts.set(input.name, input.failure)
    else if (input.session?.contribute === undefined) dropouts.set(input.name, `step "${input.step}" cannot send its output to a session`)
  }
  const ready = inputs.filter(input => !dropouts.has(input.name))
  const short = (count: number, what: string): SdkError =>
    new SdkError(
      'Unavailable',
      `only ${count} of ${inputs.length} inputs ${what}, fewer than the threshold ${threshold}: ${[...dropouts].map(([name, why]) => `${name}: ${why}`).join('; ')}`
    )
  if (ready.length < threshold) throw short(ready.length, 'are ready')
  const session = await openSecureSession(
    api,
    {
      participants: ready.map(input => input.owner),
      threshold,
      length: terms.length,
      ...(terms.fractionalBits === undefined ? {} : { fractionalBits: terms.fractionalBits }),
      ...(terms.roundTimeoutMs === undefined ? {} : { roundTimeoutMs: terms.roundTimeoutMs })
    },
    signal
  )
  const sent = await Promise.all(
    ready.map(async input => {
      try {
        await input.session!.contribute!(input.output, session.url, signal)
        return true
      } catch (error) {
        dropouts.set(input.name, `step "${input.step}" could not contribute: ${error instanceof Error ? error.message : String(error)}`)
        return false
      }
    })
  )
  const sentCount = sent.filter(Boolean).length
  // Too few sent for any sum: the session fails on its own, without waiting for it here.
  if (sentCount < threshold) throw short(sentCount, 'were sent')
  const end = await secureSessionEnd(api, session.sessionId, signal)
  if (end.state !== 'Done' || end.sum === undefined || end.sumFixed === undefined)
    throw new SdkError(
      'Unavailable',
      `the secure sum failed with ${end.survivors.length} of ${inputs.length} inputs (threshold ${threshold}): ${end.error ?? 'no reason given'}`
    )
  const result: SecureSumOutput = {
    sum: end.sum,
    sumFixed: end.sumFixed,
    fractionalBits: end.fractionalBits,
    sessionId: end.sessionId,
    survivors: end.survivors,
    dropped: end.dropped
  }
  return new TextEncoder().encode(JSON.stringify(result))
}
