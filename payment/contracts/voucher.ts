// EIP-712 vouchers for AgoraEscrow: a requester signs the cumulative amount it accepted for one deposit.
import { AbiCoder, keccak256, Signature, type TypedDataDomain, TypedDataEncoder } from 'ethers'

export interface DepositKey {
  requester: string
  provider: string
  token: string
  /** 32 bytes, 0x-hex: tells apart deposits between the same parties in the same token. */
  salt: string
}

export interface Voucher {
  depositId: string
  /** Total accepted for the deposit so far, in base units. */
  cumulative: bigint
}

export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'depositId', type: 'bytes32' },
    { name: 'cumulative', type: 'uint256' }
  ]
}

/** The id AgoraEscrow gives a deposit: keccak256(abi.encode(requester, provider, token, salt)). */
export function depositIdOf(key: DepositKey): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'address', 'address', 'bytes32'], [key.requester, key.provider, key.token, key.salt]))
}

export function escrowDomain(chainId: bigint, escrowAddress: string): TypedDataDomain {
  return { name: 'AgoraEscrow', version: '1', chainId, verifyingContract: escrowAddress }
}

export function voucherDigest(domain: TypedDataDomain, voucher: Voucher): string {
  return TypedDataEncoder.hash(domain, VOUCHER_TYPES, voucher)
}

/** The signature in the compact form (EIP-2098) that AgoraEscrow's claim takes. */
export function compactSignature(signature: string): { r: string; vs: string } {
  const parsed = Signature.from(signature)
  return { r: parsed.r, vs: parsed.yParityAndS }
}
