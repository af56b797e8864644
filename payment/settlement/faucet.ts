// Funding on a network whose config has a faucet: test tokens minted by the
// token's own faucet, and, on the dev chain, gas sent from its first funded
// dev account (its key is public: dev chains only). Gas comes first, as the
// mint is this node's own transaction.
import { parseUnits } from 'ethers'
import { ChainError } from '../chain/chain-error.ts'
import { DEV_CHAIN_ID, devWallet } from '../chain/dev-accounts.ts'
import { NonceLane } from '../chain/nonce-lane.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { NetworkChain } from './network-chain.ts'

/** What one fund call gives: 1,000 tokens and 1 coin for gas. */
export const FAUCET_TOKENS = '1000'
export const FAUCET_GAS = 10n ** 18n

export async function fundFromFaucet(chain: NetworkChain, address: string, now: number): Promise<{ token: bigint; gas: bigint; txHashes: string[] }> {
  const txHashes: string[] = []
  let gas = 0n
  if (chain.network.chainId === DEV_CHAIN_ID) {
    const hash = await sendDevGas(chain, address)
    await chain.confirmedHash(hash)
    txHashes.push(hash)
    gas = FAUCET_GAS
  } else if ((await chain.provider.getBalance(address)) === 0n) {
    throw new PaymentError('Conflict', `this node has no gas on ${chain.network.name} to mint test tokens with; get some from the network's own faucet first`)
  }
  const token = parseUnits(FAUCET_TOKENS, chain.network.token.decimals)
  const data = chain.token.interface.encodeFunctionData('mint', [address, token])
  const minted = await chain.carryOut(`faucet-mint:${now}:${txHashes[0] ?? 'no-gas'}`, { to: chain.tokenAddress, data }, async () => false)
  if (minted !== undefined) txHashes.push(minted)
  return { token, gas, txHashes }
}

/** How often the dev account's gas is sent again on a fresh nonce when another daemon took the one read. */
const DEV_GAS_ATTEMPTS = 8

/**
 * Sends the gas from the dev account. Every local daemon sends from it, each
 * on its own lane, so two may read the same pending nonce and the node refuses
 * the later one (Conflict): that one is sent again on a nonce read anew. Only
 * this dev-only path does so: the node's own transactions have one lane.
 */
async function sendDevGas(chain: NetworkChain, address: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    // A plain lane reading its nonce from the chain's pending count, no journal of ours.
    const lane = new NonceLane({ provider: chain.provider, signer: devWallet(0) }, { chainId: chain.network.chainId, fees: chain.network.fees })
    try {
      return (await lane.send({ to: address, value: FAUCET_GAS, gasLimit: 21_000n })).hash
    } catch (err) {
      if (!(err instanceof ChainError && err.code === 'Conflict') || attempt >= DEV_GAS_ATTEMPTS) throw err
    }
  }
}
