// A dev chain for tests: a real anvil on loopback, started in a before hook and
// stopped in an after hook, whatever the tests did. A chain that is left
// running by a failing hook is still killed when the test process exits.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type HDNodeWallet, JsonRpcProvider } from 'ethers'
import { DevChain, type DevChainInit, devWallet } from '../../payment/index.ts'

export interface DevChainFixture {
  /** The running chain (only inside tests of the describe that made the fixture). */
  readonly chain: DevChain
  /** A directory of its own for this fixture (state files, databases), removed afterwards. */
  readonly dir: string
  /** An ethers provider on the chain; destroyed with the fixture. */
  readonly provider: JsonRpcProvider
  /** The `index`-th funded dev account, connected to the provider. */
  wallet: (index: number) => HDNodeWallet
}

/** Starts a dev chain with `init` and gives back the chain itself; the caller stops it. */
export async function startDevChain(init: DevChainInit = {}): Promise<DevChain> {
  const chain = new DevChain({}, init)
  await chain.start()
  return chain
}

/** A provider that polls fast, as tests wait on receipts of a chain that mines at once. */
export function devProvider(chain: DevChain): JsonRpcProvider {
  const provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true, cacheTimeout: -1 })
  provider.pollingInterval = 20
  return provider
}

/**
 * Registers before/after hooks in the calling describe: one dev chain for all
 * its tests. `init` may take the fixture's own directory (for a state file).
 */
export function devChainFixture(init: DevChainInit | ((dir: string) => DevChainInit) = {}): DevChainFixture {
  let chain: DevChain | undefined
  let dir: string | undefined
  let provider: JsonRpcProvider | undefined
  before(async function () {
    this.timeout(60_000)
    dir = await mkdtemp(join(tmpdir(), 'agora-dev-chain-'))
    chain = new DevChain({}, typeof init === 'function' ? init(dir) : init)
    await chain.start()
    provider = devProvider(chain)
  })
  after(async function () {
    this.timeout(30_000)
    provider?.destroy()
    await chain?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })
  return {
    get chain() {
      if (chain === undefined) throw new Error('the dev chain fixture is used outside its describe')
      return chain
    },
    get dir() {
      if (dir === undefined) throw new Error('the dev chain fixture is used outside its describe')
      return dir
    },
    get provider() {
      if (provider === undefined) throw new Error('the dev chain fixture is used outside its describe')
      return provider
    },
    wallet(index: number) {
      return devWallet(index).connect(this.provider)
    }
  }
}

export { devWallet }
