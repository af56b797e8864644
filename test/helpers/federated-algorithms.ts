// The example algorithms built from source (test/helpers/algorithms.ts) and
// offered by a requester's daemon as task packages named by their sha3-256:
// the hash the owners' policies allow them by.
import { readFile } from 'node:fs/promises'
import { ALGORITHMS, algorithm } from './algorithms.ts'
import type { AlgorithmName } from './algorithms.ts'
import type { MarketClient } from './market-client.ts'

export interface OfferedAlgorithm {
  readonly name: AlgorithmName
  /** "sha3:<hex>", as a policy lists it. */
  readonly hash: string
  /** hash:sha3:<hex>:agora-requester:<name>, as a rental's image. */
  readonly taskPackage: string
}

/** Builds every example algorithm (kept when its inputs are unchanged) and gives their hashes. */
export async function buildAlgorithms(): Promise<Record<AlgorithmName, { path: string; hash: string }>> {
  const built = await Promise.all(ALGORITHMS.map(async name => [name, await algorithm(name)] as const))
  return Object.fromEntries(built) as Record<AlgorithmName, { path: string; hash: string }>
}

/** Offers a built algorithm through the requester's daemon (its providers fetch it from there and check the hash). */
export async function offerAlgorithm(requester: MarketClient, name: AlgorithmName, built: { path: string; hash: string }): Promise<OfferedAlgorithm> {
  const served = `algorithm-${name}`
  const response = await fetch(`${requester.url}/agora-api/v1/transfers/offered/${served}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${requester.key}`, 'content-type': 'application/octet-stream' },
    body: await readFile(built.path)
  })
  if (!response.ok) throw new Error(`offering ${name}: ${response.status} ${await response.text()}`)
  return { name, hash: built.hash, taskPackage: `hash:${built.hash}:agora-requester:${served}` }
}
