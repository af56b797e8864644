// A step in the clear: the local step runs at every owner at once, and each
// owner's output file comes back (its guard released it to the requester),
// read by its kind; the partials are combined at the requester.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SdkError } from '../errors.ts'
import type { ClearFederatedResult, FederatedPartial } from '../types.ts'
import { belowThreshold, dropOwner } from './federation.ts'
import type { Owner, StepContext } from './federation.ts'
import { MAX_PARTIAL_BYTES, parsePartial, sumPartials } from './partials.ts'

export interface ClearStep<C> {
  readonly args: readonly string[]
  readonly output: string
  readonly threshold: number
  readonly combine?: (partials: readonly FederatedPartial[]) => C
  readonly signal?: AbortSignal
}

export async function runClearStep<C>(
  context: StepContext,
  owners: readonly Owner[],
  step: ClearStep<C>
): Promise<Omit<ClearFederatedResult<C>, 'owners' | 'rentals' | 'cost'>> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-federated-'))
  try {
    const partials = await Promise.all(
      owners.map(async (owner, index): Promise<FederatedPartial | undefined> => {
        try {
          const rental = owner.rental!
          await rental.run(context.command, step.args, { timeoutMs: context.stepTimeoutMs, ...(step.signal === undefined ? {} : { signal: step.signal }) })
          const local = join(dir, `partial-${index}.json`)
          await rental.download(step.output, local, step.signal === undefined ? {} : { signal: step.signal })
          if ((await stat(local)).size > MAX_PARTIAL_BYTES) throw new SdkError('ResponseTooLarge', `the partial is larger than ${MAX_PARTIAL_BYTES} bytes`)
          return parsePartial(await readFile(local, 'utf8'), `${owner.dataset} at ${owner.report.providerId}`)
        } catch (error) {
          dropOwner(owner, error)
          return undefined
        }
      })
    )
    const released = owners.flatMap((owner, index) => {
      const partial = partials[index]
      return partial === undefined ? [] : [{ dataset: owner.dataset, providerId: owner.report.providerId, partial }]
    })
    if (released.length < step.threshold)
      throw belowThreshold(
        owners.map(owner => owner.report),
        released.length,
        step.threshold
      )
    const combine = step.combine ?? (sumPartials as unknown as (partials: readonly FederatedPartial[]) => C)
    return { aggregate: 'clear', partials: released, combined: combine(released.map(entry => entry.partial)) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
