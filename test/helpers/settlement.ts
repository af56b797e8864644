// Settlement services on a real dev chain: the contracts deployed, a network
// config pointing at them, parties funded with the test token, and services
// over LevelDB directories that a test may close and open again (a restart).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { hexlify, type JsonRpcProvider, parseEther, randomBytes, type Wallet } from 'ethers'
import { Level } from 'level'
import type { Clock, RawRecordStore } from '../../net/index.ts'
import {
  type AgreementTerms,
  type ChainNetwork,
  devNetworkConfig,
  devWallet,
  openSettlement,
  parseNetworkConfig,
  type ProviderSettlement,
  type SettlementInit,
  type SettlementService
} from '../../payment/index.ts'
import { deployAll, type Deployed, mined, party } from './contracts.ts'

export interface SettlementWorld {
  readonly network: ChainNetwork
  readonly contracts: Deployed
}

/** What a world needs of a dev chain: its URL and a provider on it (a DevChainFixture fits). */
export interface ChainAccess {
  readonly chain: { readonly rpcUrl: string }
  readonly provider: JsonRpcProvider
}

/** Deploys the contracts on the chain and gives the dev network's config for them. */
export async function settlementWorld(fixture: ChainAccess): Promise<SettlementWorld> {
  const contracts = await deployAll(party(0, fixture.provider).signer)
  const config = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
    escrow: String(contracts.escrow.target),
    batchPayout: String(contracts.payouts.target)
  })
  return { network: parseNetworkConfig(config), contracts }
}

/** Mints `amount` tokens (whole units) to `address` from the deployer. */
export async function mintTo(world: SettlementWorld, address: string, amount: string): Promise<void> {
  await mined(world.contracts.token.mint(address, parseEther(amount)))
}

/** A node's settlement over its own LevelDB directory; `restart()` closes both and opens them again over the same directory. */
export class SettlementNode {
  readonly wallet: Wallet
  readonly dir: string
  readonly #clock: Clock | undefined
  readonly #init: SettlementInit
  readonly #networks: readonly ChainNetwork[]
  db: Level<string, string> | undefined
  service: SettlementService | undefined

  constructor(world: SettlementWorld, options: { index: number; dir: string; clock?: Clock; init?: SettlementInit; networks?: readonly ChainNetwork[] }) {
    this.#networks = options.networks ?? [world.network]
    this.wallet = devWallet(options.index) as unknown as Wallet
    this.dir = options.dir
    this.#clock = options.clock
    this.#init = options.init ?? {}
  }

  get address(): string {
    return this.wallet.address.toLowerCase()
  }

  get settlement(): SettlementService {
    if (this.service === undefined) throw new Error('the node is not started')
    return this.service
  }

  async start(): Promise<SettlementService> {
    const service = await this.open()
    await service.start()
    return service
  }

  /** The service over the node's directory, not started. */
  async open(): Promise<SettlementService> {
    await mkdir(this.dir, { recursive: true })
    this.db = new Level<string, string>(this.dir)
    await this.db.open()
    const store = this.db.sublevel<string, string>('settlement', { valueEncoding: 'utf8' }) as unknown as RawRecordStore
    this.service = openSettlement(
      { networks: this.#networks, wallet: this.wallet, db: store, ...(this.#clock === undefined ? {} : { clock: this.#clock }) },
      { pollingIntervalMs: 20, ...this.#init }
    )
    return this.service
  }

  async stop(): Promise<void> {
    await this.service?.stop()
    this.service = undefined
    await this.db?.close()
    this.db = undefined
  }

  async restart(): Promise<SettlementService> {
    await this.stop()
    return this.start()
  }
}

let agreementNo = 0

/** Terms of a fresh agreement between two nodes on `platform`, expiring `expiresInMs` after `now`. */
export function termsBetween(
  requester: SettlementNode,
  provider: SettlementNode,
  options: { now: number; platform?: string; expiresInMs?: number; paymentTimeoutMs?: number }
): AgreementTerms {
  return {
    agreementId: `${hexlify(randomBytes(16)).slice(2)}${String(++agreementNo).padStart(4, '0')}`,
    platform: options.platform ?? 'erc20-dev-tglm',
    requester: requester.address,
    provider: provider.address,
    payee: provider.address,
    mode: 'escrow',
    expiresAt: options.now + (options.expiresInMs ?? 3_600_000),
    paymentTimeoutMs: options.paymentTimeoutMs ?? 60_000
  }
}

export function nodeDir(root: string, name: string): string {
  return join(root, name)
}

export type SettledDetail = { agreementId: string; settled: bigint; txHash: string }

/** The next `settled` event of `provider` for `agreementId`. */
export function nextSettled(provider: ProviderSettlement, agreementId: string): Promise<SettledDetail> {
  return new Promise(resolve => {
    const listener = (event: CustomEvent<SettledDetail>): void => {
      if (event.detail.agreementId !== agreementId) return
      provider.removeEventListener('settled', listener)
      resolve(event.detail)
    }
    provider.addEventListener('settled', listener)
  })
}
