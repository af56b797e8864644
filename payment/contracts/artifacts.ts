// The compiled contracts, as committed under artifacts/ by `npm run build:contracts`.
import escrow from './artifacts/AgoraEscrow.json' with { type: 'json' }
import payouts from './artifacts/AgoraPayouts.json' with { type: 'json' }
import testToken from './artifacts/AgoraTestToken.json' with { type: 'json' }

export interface ContractArtifact {
  readonly contractName: string
  readonly compiler: { readonly version: string; readonly settings: { readonly optimizer: { enabled: boolean; runs: number }; readonly evmVersion: string } }
  /** ABI as solc emits it; ethers' Interface and ContractFactory take it as is. */
  readonly abi: readonly unknown[]
  readonly bytecode: string
  readonly deployedBytecode: string
}

export const testTokenArtifact: ContractArtifact = testToken
export const escrowArtifact: ContractArtifact = escrow
export const payoutsArtifact: ContractArtifact = payouts
