// The payment module's facade: chain access and the embedded dev chain (below).
export { DevChain } from './chain/dev-chain.ts'
export type { DevChainComponents, DevChainInit } from './chain/dev-chain.ts'
export { DEV_CHAIN_ID, DEV_MNEMONIC, devWallet } from './chain/dev-accounts.ts'
export { anvilBinaryPath } from './chain/anvil-binary.ts'
export { ChainError } from './chain/chain-error.ts'
export type { ChainErrorCode } from './chain/chain-error.ts'
