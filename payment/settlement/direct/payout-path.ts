// The two ways a direct batch is paid, as calldata: the token's own payBatch
// (the cheapest: one debit, a credit per payee in place) when the token has
// one, else AgoraPayouts' payBatch for any standard ERC-20 (the total pulled
// once, then a transfer per payee). Both record `paid[batchId]` and emit one
// BatchPaid per batch; the verifier reads the same calldata back.
import { Interface, type InterfaceAbi, type Provider } from 'ethers'
import { isTransportFailure } from '../../chain/nonce-lane.ts'
import { payoutsArtifact, testTokenArtifact } from '../../contracts/index.ts'

export type PayoutPath = 'cheapest' | 'any-erc20'

/** The token's own batch payout (AgoraTestToken's ABI; any token with the same functions qualifies). */
export const batchTokenAbi = new Interface(testTokenArtifact.abi as InterfaceAbi)
export const payoutsAbi = new Interface(payoutsArtifact.abi as InterfaceAbi)
export const erc20Abi = new Interface([
  'function approve(address spender, uint256 value) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function balanceOf(address owner) view returns (uint256)',
  'function paid(bytes32 batchId) view returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)'
])

export interface PathTarget {
  readonly path: PayoutPath
  /** The contract called: the token (cheapest) or the payouts contract. */
  readonly contract: string
}

export function payBatchCalldata(path: PayoutPath, token: string, documentsHash: string, payments: readonly bigint[]): string {
  return path === 'cheapest'
    ? batchTokenAbi.encodeFunctionData('payBatch', [documentsHash, payments])
    : payoutsAbi.encodeFunctionData('payBatch', [token, documentsHash, payments])
}

/** The batch a transaction's calldata pays, when it is a payBatch of `path`; undefined for anything else. */
export function decodePayBatch(path: PayoutPath, data: string): { token?: string; documentsHash: string; payments: bigint[] } | undefined {
  try {
    if (path === 'cheapest') {
      const parsed = batchTokenAbi.parseTransaction({ data })
      if (parsed?.name !== 'payBatch') return undefined
      return { documentsHash: String(parsed.args[0]).toLowerCase(), payments: [...(parsed.args[1] as bigint[])] }
    }
    const parsed = payoutsAbi.parseTransaction({ data })
    if (parsed?.name !== 'payBatch') return undefined
    return { token: String(parsed.args[0]), documentsHash: String(parsed.args[1]).toLowerCase(), payments: [...(parsed.args[2] as bigint[])] }
  } catch {
    return undefined
  }
}

/**
 * Whether `token` has the cheapest batch payout: an empty batch, called
 * without a transaction, reverts with the token's own BatchSize(0) error;
 * a plain ERC-20 has no such function and reverts without it.
 */
export async function supportsCheapestPath(provider: Provider, token: string, payer: string): Promise<boolean> {
  const data = batchTokenAbi.encodeFunctionData('payBatch', [`0x${'00'.repeat(32)}`, []])
  try {
    await provider.call({ from: payer, to: token, data })
    return false
  } catch (err) {
    if (isTransportFailure(err)) throw err
    const revert = revertDataOf(err)
    if (revert === undefined) return false
    return batchTokenAbi.parseError(revert)?.name === 'BatchSize'
  }
}

function revertDataOf(err: unknown): string | undefined {
  const data = (err as { data?: unknown } | null)?.data
  return typeof data === 'string' && data.startsWith('0x') && data.length >= 10 ? data : undefined
}
