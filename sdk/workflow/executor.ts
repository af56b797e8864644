// The executor the runner uses by default: an owner's step through a rental
// of that owner's dataset (its data offer only: the dataset's name and the
// owner's node id), inputs uploaded to /in, outputs downloaded from /out only
// when the runner asks (after the owners allowed the move) or sent to a
// secure-aggregation session (masked at the owner's daemon); a requester's
// step locally (local-step.ts).
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { contributeToSession } from '../federated/secagg-session.ts'
import type { AgoraClient, RentOptions } from '../types.ts'
import type { WorkflowStepDocument } from './document.ts'
import { runLocalStep } from './local-step.ts'
import type { StepExecutor, StepSession } from './runner.ts'

/** What every owner's rental takes besides its image, dataset and provider (budget, prices, duration, timeouts). */
export type StepRentOptions = Omit<RentOptions, 'runtime' | 'image' | 'dataset' | 'filter' | 'signal'>

export function workflowExecutor(client: AgoraClient, rentOptions: StepRentOptions): StepExecutor {
  return {
    async start(step, inputs, signal) {
      if (step.site === 'requester') return await runLocalStep(step, inputs, signal)
      return await runAtOwner(client, rentOptions, step, inputs, signal)
    }
  }
}

async function runAtOwner(
  client: AgoraClient,
  rentOptions: StepRentOptions,
  step: WorkflowStepDocument,
  inputs: ReadonlyMap<string, Uint8Array>,
  signal: AbortSignal
): Promise<StepSession> {
  const site = step.site as Exclude<WorkflowStepDocument['site'], 'requester'>
  const owner = site.node.toLowerCase()
  const rental = await client.rent({
    ...rentOptions,
    runtime: step.algorithm.runtime,
    image: step.algorithm.image,
    dataset: site.dataset,
    filter: offer => offer.providerId.toLowerCase() === owner,
    signal
  })
  try {
    for (const [name, bytes] of inputs) await rental.upload(bytes, `/in/${name}`, { signal })
    await rental.run(step.algorithm.command, step.algorithm.args ?? [], { signal })
  } catch (error) {
    await rental.release().catch(() => {})
    throw error
  }
  return {
    providerId: rental.provider.id,
    fetch: async (output, fetchSignal) => {
      const dir = await mkdtemp(join(tmpdir(), 'agora-workflow-fetch-'))
      try {
        await rental.download(`/out/${output}`, join(dir, 'file'), { signal: fetchSignal })
        return new Uint8Array(await readFile(join(dir, 'file')))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    contribute: async (output, sessionUrl, contributeSignal) => {
      await contributeToSession(client.api, rental.activityId, `/out/${output}`, sessionUrl, contributeSignal)
    },
    close: async () => {
      await rental.release()
    }
  }
}
