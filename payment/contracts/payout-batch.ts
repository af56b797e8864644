// Calldata and ids for batch payouts (AgoraPayouts, and AgoraTestToken's own payBatch).
import { AbiCoder, getAddress, isAddress, keccak256 } from 'ethers'
import { CodedError } from '../../net/index.ts'

const AMOUNT_BITS = 96n
const MAX_AMOUNT = (1n << AMOUNT_BITS) - 1n

/** Most payments or deposits one batch call takes (the contracts' MAX_BATCH). */
export const MAX_BATCH = 500

export interface Payout {
  payee: string
  amount: bigint
}

/** One 32-byte word per payment: payee << 96 | amount. */
export function packPayment(payment: Payout): bigint {
  if (payment.amount <= 0n || payment.amount > MAX_AMOUNT) throw new CodedError('BadRequest', `amount must be in 1..2^96-1 base units, got ${payment.amount}`)
  if (!isAddress(payment.payee)) throw new CodedError('BadRequest', `payee ${JSON.stringify(payment.payee)} is not an address`)
  return (BigInt(getAddress(payment.payee)) << AMOUNT_BITS) | payment.amount
}

export function unpackPayment(word: bigint): Payout {
  return { payee: getAddress(`0x${(word >> AMOUNT_BITS).toString(16).padStart(40, '0')}`), amount: word & MAX_AMOUNT }
}

/** Commits to the set of document ids a batch pays: the hash of the ids sorted, ABI-encoded as string[]. */
export function documentsHashOf(documentIds: readonly string[]): string {
  if (documentIds.length === 0) throw new CodedError('BadRequest', 'a batch pays at least one document')
  const sorted = [...documentIds].sort()
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) throw new CodedError('BadRequest', `document ${sorted[i]} appears twice`)
  return keccak256(AbiCoder.defaultAbiCoder().encode(['string[]'], [sorted]))
}

/** The batch id the contracts record as paid: keccak256(abi.encode(payer, token, documentsHash)). */
export function batchIdOf(payer: string, token: string, documentsHash: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'address', 'bytes32'], [payer, token, documentsHash]))
}
