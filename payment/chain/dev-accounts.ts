// The dev chain's funded accounts: anvil derives them from a mnemonic along
// the standard path m/44'/60'/0'/0/i; the same derivation here gives their keys.
import { HDNodeWallet, Mnemonic } from 'ethers'
import { DEV_MNEMONIC } from './dev-constants.ts'

export { DEV_CHAIN_ID, DEV_MNEMONIC } from './dev-constants.ts'

/** The `index`-th dev account's wallet (not connected to a provider). */
export function devWallet(index: number, mnemonic: string = DEV_MNEMONIC): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(mnemonic), `m/44'/60'/0'/0/${index}`)
}
