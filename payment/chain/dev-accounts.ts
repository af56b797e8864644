// The dev chain's funded accounts: anvil derives them from a mnemonic along
// the standard path m/44'/60'/0'/0/i; the same derivation here gives their keys.
import { HDNodeWallet, Mnemonic } from 'ethers'

/** anvil's (and hardhat's) well-known dev mnemonic: its keys are public, for dev chains only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEV_CHAIN_ID = 31337

/** The `index`-th dev account's wallet (not connected to a provider). */
export function devWallet(index: number, mnemonic: string = DEV_MNEMONIC): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(mnemonic), `m/44'/60'/0'/0/${index}`)
}
