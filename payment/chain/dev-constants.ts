// The dev chain's constants, apart from the key derivation (ethers) so that
// what only needs them starts without it.

/** anvil's (and hardhat's) well-known dev mnemonic: its keys are public, for dev chains only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEV_CHAIN_ID = 31337
