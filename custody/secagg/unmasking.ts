// The aggregator's last step: from the survivors' masked inputs summed mod
// 2^64, remove each survivor's self mask (its seed rebuilt from t shares) and
// each dropped sharer's pairwise masks with the survivors (its mask key
// rebuilt from t shares). What is left is the sum of the survivors' inputs.
import { CodedError } from '../../net/kernel.ts'
import type { NodeId } from '../../net/kernel.ts'
import { agreeKey, publicKeyOf } from './key-agreement.ts'
import type { SessionTerms } from './messages.ts'
import { maskSign, shareX } from './participant.ts'
import { addMask, expandMask } from './prg.ts'
import { combineShares } from './shamir.ts'
import type { Share } from './shamir.ts'

export interface Unmasking {
  readonly terms: SessionTerms
  /** Σ y_u over the survivors, mod 2^64. */
  readonly maskedSum: BigUint64Array
  readonly survivors: readonly NodeId[]
  /** U2 \ U3: shared their seeds but sent no masked input. */
  readonly dropped: readonly NodeId[]
  /** Each sharer's advertised mask-agreement public key. */
  readonly sPk: ReadonlyMap<NodeId, Uint8Array>
  /** From each owner that unmasked: its shares, by whose secret they are. */
  readonly selfShares: ReadonlyMap<NodeId, ReadonlyMap<NodeId, bigint>>
  readonly keyShares: ReadonlyMap<NodeId, ReadonlyMap<NodeId, bigint>>
}

function sharesOf(terms: SessionTerms, owner: NodeId, by: ReadonlyMap<NodeId, ReadonlyMap<NodeId, bigint>>): Share[] {
  const shares: Share[] = []
  for (const [holder, held] of by) {
    const y = held.get(owner)
    if (y !== undefined) shares.push({ x: shareX(terms, holder), y })
    if (shares.length === terms.threshold) return shares
  }
  throw new CodedError('Conflict', `fewer than ${terms.threshold} shares of ${owner}'s seed came back`)
}

export function unmaskSum(input: Unmasking): BigUint64Array {
  const { terms, survivors, dropped } = input
  const sum = BigUint64Array.from(input.maskedSum)
  for (const owner of survivors) {
    const seed = combineOrRefuse(owner, sharesOf(terms, owner, input.selfShares))
    addMask(sum, expandMask(seed, terms.length), -1)
  }
  for (const gone of dropped) {
    const secretKey = combineOrRefuse(gone, sharesOf(terms, gone, input.keyShares))
    const advertised = input.sPk.get(gone)!
    if (Buffer.compare(publicKeyOf(secretKey), advertised) !== 0)
      throw new CodedError('Conflict', `the shares of ${gone}'s mask key do not give the key it advertised`)
    for (const owner of survivors) {
      const seed = agreeKey(secretKey, input.sPk.get(owner)!, terms.sessionId, 'mask')
      // The survivor added maskSign(owner, gone)·PRG(seed): take it away.
      addMask(sum, expandMask(seed, terms.length), maskSign(owner, gone) === 1 ? -1 : 1)
    }
  }
  return sum
}

function combineOrRefuse(owner: NodeId, shares: Share[]): Uint8Array {
  try {
    return combineShares(shares)
  } catch {
    throw new CodedError('Conflict', `the shares of ${owner}'s seed do not combine`)
  }
}
