// `agora run`'s use of the requester SDK: a connection to the daemon (its URL
// and app-key from the options, else the environment, as the SDK reads them)
// and the one rental the job needs.
import type { AgoraClient, ApiClient, Rental, RentOptions } from '../../sdk/index.ts'
import type { RunSpec } from './run-spec.ts'

export interface RequesterSession {
  readonly api: ApiClient
  rent(spec: RunSpec, signal: AbortSignal): Promise<Rental>
  close(): Promise<void>
}

/** The rent options of the job: its runtime and image, prices, budget and start-up time. */
export function rentOptionsOf(spec: RunSpec, signal: AbortSignal): RentOptions {
  return {
    runtime: spec.runtime,
    image: spec.image,
    budget: spec.budget,
    maxPrices: spec.maxPrices,
    startupTimeoutMs: spec.startupTimeoutMs,
    // The agreement outlives the command's limit by the time the release and the invoice take.
    duration: Math.ceil(spec.timeoutMs / 1000) + 300,
    ...(spec.subnet === undefined ? {} : { subnet: spec.subnet }),
    signal
  }
}

export async function openRequester(spec: RunSpec, signal: AbortSignal): Promise<RequesterSession> {
  const { connect } = await import('../../sdk/index.ts')
  // Not the interrupt's signal: it would cut the release's own calls, which must still reach the daemon after Ctrl-C.
  const client: AgoraClient = await connect(spec.api)
  return {
    api: client.api,
    rent: async (job, rentSignal) => await client.rent(rentOptionsOf(job, rentSignal)),
    close: async () => {
      await client.close({ now: signal.aborted })
    }
  }
}
