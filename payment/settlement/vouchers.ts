// Deposit salts and vouchers as settlement uses them: one deposit per
// agreement (its salt is keccak256 of the agreement id's UTF-8 bytes), and
// vouchers in EIP-2098's 64-byte form, which is what AgoraEscrow's claim takes.
import { concat, id, keccak256, recoverAddress, Signature, TypedDataEncoder, toBeHex } from 'ethers'
import type { Wallet } from 'ethers'
import { escrowDomain, VOUCHER_TYPES } from '../contracts/index.ts'

/** Above this s a signature is the malleable twin of another (EIP-2): the escrow refuses it, so must we. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

export function saltOf(agreementId: string): string {
  return id(agreementId)
}

export interface VoucherPlace {
  readonly chainId: number
  readonly escrow: string
}

/** Signs the voucher for `cumulative` on `depositId`: 0x r ‖ vs. */
export async function signVoucher(wallet: Wallet, place: VoucherPlace, depositId: string, cumulative: bigint): Promise<string> {
  const signature = await wallet.signTypedData(escrowDomain(BigInt(place.chainId), place.escrow), VOUCHER_TYPES, { depositId, cumulative })
  return Signature.from(signature).compactSerialized.toLowerCase()
}

const VOUCHER_TYPEHASH = id('Voucher(bytes32 depositId,uint256 cumulative)')
const domainSeparators = new Map<string, string>()

/**
 * The voucher's EIP-712 digest with the domain separator computed once per
 * escrow: the same value as voucherDigest, without encoding the domain again
 * for every voucher a provider checks.
 */
function fastVoucherDigest(place: VoucherPlace, depositId: string, cumulative: bigint): string {
  const key = `${place.chainId}:${place.escrow.toLowerCase()}`
  let separator = domainSeparators.get(key)
  if (separator === undefined) {
    separator = TypedDataEncoder.hashDomain(escrowDomain(BigInt(place.chainId), place.escrow))
    domainSeparators.set(key, separator)
  }
  const structHash = keccak256(concat([VOUCHER_TYPEHASH, depositId, toBeHex(cumulative, 32)]))
  return keccak256(concat(['0x1901', separator, structHash]))
}

/** Who signed the voucher, or undefined when the signature is not a valid, canonical one. */
export function voucherSigner(place: VoucherPlace, depositId: string, cumulative: bigint, signature: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{128}$/.test(signature)) return undefined
  try {
    const parsed = Signature.from(signature)
    if (BigInt(parsed.s) > HALF_ORDER) return undefined
    return recoverAddress(fastVoucherDigest(place, depositId, cumulative), parsed).toLowerCase()
  } catch {
    return undefined
  }
}

/** The claim entry AgoraEscrow's claimMany takes for a voucher. */
export function claimEntryOf(requester: string, salt: string, cumulative: bigint, signature: string): [string, string, bigint, string, string] {
  const parsed = Signature.from(signature)
  return [requester, salt, cumulative, parsed.r, parsed.yParityAndS]
}
