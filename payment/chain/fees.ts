// EIP-1559 fees from a network's policy: a first bid from the current base
// fee, and a replacement's bid (the same nonce, higher fees), never above the
// caps. When the caps leave no room the answer is an error, not a quiet overpay.
import { maxAmount, minAmount } from '../model/amounts.ts'
import { ChainError } from './chain-error.ts'
import type { FeePolicy } from './network-config.ts'

export interface Eip1559Fees {
  readonly maxFeePerGas: bigint
  readonly maxPriorityFeePerGas: bigint
}

/** The first bid at `baseFeePerGas`; Unavailable while the base fee alone is above the cap. */
export function initialFees(policy: FeePolicy, baseFeePerGas: bigint): Eip1559Fees {
  if (baseFeePerGas < 0n) throw new ChainError('BadRequest', 'a base fee cannot be negative')
  const tip = policy.priorityFeePerGas
  if (baseFeePerGas + tip > policy.maxFeePerGas) {
    throw new ChainError('Unavailable', `the base fee (${baseFeePerGas} wei) and tip exceed the fee cap (${policy.maxFeePerGas} wei); waiting for lower fees`)
  }
  const wanted = (baseFeePerGas * BigInt(policy.baseFeeHeadroomPercent)) / 100n + tip
  return { maxFeePerGas: minAmount(wanted, policy.maxFeePerGas), maxPriorityFeePerGas: tip }
}

/**
 * A replacement's bid: both fees raised by the policy's bump (rounded up),
 * and at least to what the new base fee needs, within the caps. Conflict when
 * the caps leave less than the 10 % raise nodes require of a replacement.
 */
export function replacementFees(policy: FeePolicy, previous: Eip1559Fees, baseFeePerGas: bigint): Eip1559Fees {
  const bump = BigInt(100 + policy.replacementBumpPercent)
  const tip = minAmount(ceilDiv(previous.maxPriorityFeePerGas * bump, 100n), policy.maxPriorityFeePerGas)
  const wanted = maxAmount(ceilDiv(previous.maxFeePerGas * bump, 100n), (baseFeePerGas * BigInt(policy.baseFeeHeadroomPercent)) / 100n + tip)
  const fees = { maxFeePerGas: minAmount(wanted, policy.maxFeePerGas), maxPriorityFeePerGas: tip }
  if (fees.maxFeePerGas < ceilDiv(previous.maxFeePerGas * 110n, 100n) || fees.maxPriorityFeePerGas < ceilDiv(previous.maxPriorityFeePerGas * 110n, 100n)) {
    throw new ChainError('Conflict', 'the fee caps leave no room for a replacement (nodes require a 10 % raise of both fees)')
  }
  return fees
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b
}
