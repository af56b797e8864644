// The settlement service: per configured network its chain access (failover
// RPC, the wallet on its own nonce lane, a transaction journal), the escrow
// payer and payee; calls are dispatched by the terms' platform (its name or
// an alias). Recovery runs first at start: the journal is settled or sent
// again, and every record is checked against the chain before anything new
// is sent.
import type { Wallet } from 'ethers'
import { TypedEventEmitter } from '@libp2p/interface'
import { silentLogger, systemClock } from '../../net/index.ts'
import type { Clock, Logger, TimerHandle } from '../../net/index.ts'
import { ChainError } from '../chain/chain-error.ts'
import type { ChainNetwork } from '../chain/network-config.ts'
import { PaymentPlatforms } from '../chain/platforms.ts'
import type { DepositView } from '../model/documents.ts'
import type { ClaimOutcome } from '../model/payment-api.ts'
import { PaymentError } from '../model/payment-error.ts'
import { DirectPayer, DirectPayoutVerifier } from './direct/index.ts'
import { EscrowPayee } from './escrow-payee.ts'
import { EscrowPayer } from './escrow-payer.ts'
import { fundFromFaucet } from './faucet.ts'
import { NetworkChain } from './network-chain.ts'
import type {
  AgreementTerms,
  DepositHolding,
  PayoutConfirmation,
  ProviderSettlement,
  ProviderSettlementEvents,
  RequesterSettlement,
  RequesterSettlementEvents,
  SettlementComponents,
  SettlementInit,
  SettlementProof,
  SettlementService,
  SignedVoucher,
  VerificationResult
} from './settlement.ts'

export const SETTLEMENT_DEFAULTS = {
  claimWorthGasFactor: 10,
  claimDeadlineMarginMs: 6 * 3_600_000,
  depositDeadlineMarginMs: 24 * 3_600_000,
  openBatchWindowMs: 0,
  claimCheckIntervalMs: 5 * 60_000,
  claimWatchIntervalMs: 60_000,
  depositCacheMs: 30_000,
  pollingIntervalMs: 1_000,
  confirmTimeoutMs: 10 * 60_000
} as const

interface NetworkParts {
  readonly chain: NetworkChain
  readonly payer: EscrowPayer
  readonly payee: EscrowPayee
  /** Direct payouts, on a network with a payouts contract. */
  readonly direct?: { readonly payer: DirectPayer; readonly verifier: DirectPayoutVerifier }
}

/** How soon a network whose chain did not answer at start is tried again (ms). */
const NETWORK_RETRY_MS = 30_000

export function openSettlement(components: SettlementComponents, init: SettlementInit = {}): SettlementService {
  return new DefaultSettlementService(components, init)
}

class DefaultSettlementService implements SettlementService {
  readonly platforms: PaymentPlatforms
  readonly requester: RequesterSettlement
  readonly provider: ProviderSettlement
  readonly #parts = new Map<string, NetworkParts>()
  readonly #wallet: Wallet
  readonly #log: Logger
  readonly #clock: Clock
  #started = false
  #stopped = false
  /** Networks recovered and started. */
  readonly #ready = new Set<string>()
  readonly #retries = new Map<string, TimerHandle>()

  constructor(components: SettlementComponents, init: SettlementInit) {
    this.platforms = new PaymentPlatforms(components.networks)
    this.#wallet = components.wallet
    const logger = components.logger ?? silentLogger
    this.#log = logger.child({ component: 'payment:settlement' })
    const clock: Clock = components.clock ?? systemClock
    this.#clock = clock
    const settings = { ...SETTLEMENT_DEFAULTS, ...definedOf(init) }
    const requesterEvents = new TypedEventEmitter<RequesterSettlementEvents>()
    const providerEvents = new TypedEventEmitter<ProviderSettlementEvents>()
    for (const network of components.networks) {
      const chain = new NetworkChain(
        { network, wallet: components.wallet, db: components.db, logger, clock },
        { pollingIntervalMs: settings.pollingIntervalMs, confirmTimeoutMs: settings.confirmTimeoutMs }
      )
      const payer = new EscrowPayer({ chain, wallet: components.wallet, clock, logger, events: requesterEvents }, settings)
      const payee = new EscrowPayee({ chain, wallet: components.wallet, clock, logger, events: providerEvents }, settings)
      const direct =
        network.contracts.batchPayout === undefined ? undefined : directParts(chain, components.db, logger, clock, init, requesterEvents, providerEvents)
      this.#parts.set(network.name, { chain, payer, payee, ...(direct === undefined ? {} : { direct }) })
    }
    this.requester = new RequesterDispatch(this, requesterEvents)
    this.provider = new ProviderDispatch(this, providerEvents)
  }

  /** The parts of `platform`'s network; NotFound for a platform this node does not know, Unavailable while its chain has not answered yet. */
  partsOf(platform: string): NetworkParts {
    this.#assertStarted()
    const name = this.#networkOf(platform).name
    if (!this.#ready.has(name)) throw new PaymentError('Unavailable', `network ${name} has not answered yet; its settlement starts once it does`)
    return this.#parts.get(name)!
  }

  /** The parts of every network whose settlement has started. */
  allParts(): NetworkParts[] {
    this.#assertStarted()
    return [...this.#parts.entries()].filter(([name]) => this.#ready.has(name)).map(([, parts]) => parts)
  }

  /**
   * Recovers and starts each network. One whose chain does not answer does not
   * hold up the others (nor the daemon): it is tried again on the clock, and
   * its platform answers Unavailable until then.
   */
  async start(): Promise<void> {
    if (this.#started) return
    if (this.#stopped) throw new PaymentError('Unavailable', 'settlement was stopped; open a new one')
    this.#started = true
    for (const [name, parts] of this.#parts) await this.#startNetwork(name, parts)
  }

  async #startNetwork(name: string, parts: NetworkParts): Promise<void> {
    try {
      await parts.payer.load()
      await parts.payee.load()
      await parts.chain.sender.recover()
      await parts.direct?.payer.start()
      await parts.payer.resume()
      await parts.payee.resume()
      this.#ready.add(name)
    } catch (err) {
      if (this.#stopped) return
      this.#log.warn({ err, network: name }, 'a network could not be recovered; tried again later')
      this.#retries.set(
        name,
        this.#clock.setTimeout(() => {
          this.#retries.delete(name)
          void this.#startNetwork(name, parts)
        }, NETWORK_RETRY_MS)
      )
    }
  }

  /** Ends the timers and waits for work in flight; the RPC connections close even when start never ran. Not started again. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#started = false
    for (const timer of this.#retries.values()) this.#clock.clearTimeout(timer)
    this.#retries.clear()
    for (const parts of this.#parts.values()) {
      // The sender first: it ends its waits, so work waiting on a transaction ends too (journalled, resumed by the next start).
      await parts.chain.sender.stop()
      await parts.payer.stop()
      await parts.payee.stop()
      await parts.direct?.payer.stop()
      await parts.chain.stop()
    }
  }

  async balances(platform: string, address: string): Promise<{ readonly token: bigint; readonly gas: bigint }> {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new PaymentError('BadRequest', 'the address is not a 0x address of 40 hex digits')
    const { chain } = this.partsOf(platform)
    return withChainErrors(async () => ({ token: await chain.tokenBalance(address), gas: await chain.provider.getBalance(address) }))
  }

  async deposits(): Promise<DepositView[]> {
    const views: DepositView[] = []
    for (const parts of this.allParts()) {
      views.push(...(await withChainErrors(() => parts.payer.views())))
      views.push(...(await withChainErrors(() => parts.payee.views())))
    }
    return views
  }

  async claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome> {
    const all = this.allParts()
    if (options.depositIds !== undefined) {
      for (const id of options.depositIds) {
        if (!all.some(parts => parts.payee.has(id.toLowerCase()))) throw new PaymentError('NotFound', `no voucher is kept for deposit ${id.slice(0, 80)}`)
      }
    }
    const outcomes: ClaimOutcome[] = []
    for (const parts of all) outcomes.push(await withChainErrors(() => parts.payee.claim(options)))
    const claimed = outcomes.filter(o => o.depositIds.length > 0)
    const txHash = claimed.find(o => o.txHash !== undefined)?.txHash
    return {
      depositIds: claimed.flatMap(o => o.depositIds),
      amount: claimed.reduce((sum, o) => sum + o.amount, 0n),
      ...(txHash === undefined ? {} : { txHash })
    }
  }

  async fund(platform: string): Promise<{ readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }> {
    const { chain } = this.partsOf(platform)
    if (!chain.network.faucet) throw new PaymentError('Forbidden', `network ${chain.network.name} has no faucet: fund this node's address there yourself`)
    return withChainErrors(() => fundFromFaucet(chain, this.#wallet.address, this.#clock.now()))
  }

  #networkOf(platform: string): ChainNetwork {
    try {
      return this.platforms.resolve(platform)
    } catch (err) {
      if (err instanceof ChainError) throw new PaymentError(err.code === 'NotFound' ? 'NotFound' : 'BadRequest', err.message)
      throw err
    }
  }

  #assertStarted(): void {
    if (!this.#started) {
      this.#log.debug('settlement called before start')
      throw new PaymentError('Unavailable', 'settlement is not started')
    }
  }
}

class RequesterDispatch implements RequesterSettlement {
  readonly #service: DefaultSettlementService
  readonly #events: TypedEventEmitter<RequesterSettlementEvents>

  constructor(service: DefaultSettlementService, events: TypedEventEmitter<RequesterSettlementEvents>) {
    this.#service = service
    this.#events = events
  }

  async prepare(terms: AgreementTerms, budget: bigint): Promise<void> {
    const parts = this.#service.partsOf(terms.platform)
    // A direct payout needs nothing before its first acceptance.
    if (terms.mode === 'direct') return void directOf(parts, terms)
    await withChainErrors(() => parts.payer.prepare(terms, budget))
  }

  async settleAccepted(terms: AgreementTerms, documentId: string, cumulative: bigint, room?: () => bigint): Promise<SettlementProof> {
    const parts = this.#service.partsOf(terms.platform)
    if (terms.mode === 'direct') return withChainErrors(() => directOf(parts, terms).payer.settleAccepted(terms, documentId, cumulative))
    return withChainErrors(() => parts.payer.settleAccepted(terms, cumulative, room))
  }

  held(agreementId: string): DepositHolding | undefined {
    for (const parts of this.#service.allParts()) {
      const record = parts.payer.byAgreement(agreementId)
      if (record !== undefined)
        return { amount: record.amount, vouchered: record.voucherCumulative ?? 0n, finished: record.state === 'finished' || record.state === 'reclaimed' }
    }
    return undefined
  }

  async finish(agreementId: string): Promise<void> {
    for (const parts of this.#service.allParts()) await parts.payer.finish(agreementId)
  }

  addEventListener<K extends keyof RequesterSettlementEvents>(type: K, listener: (event: RequesterSettlementEvents[K]) => void): void {
    this.#events.addEventListener(type, listener)
  }

  removeEventListener<K extends keyof RequesterSettlementEvents>(type: K, listener: (event: RequesterSettlementEvents[K]) => void): void {
    this.#events.removeEventListener(type, listener)
  }
}

class ProviderDispatch implements ProviderSettlement {
  readonly #service: DefaultSettlementService
  readonly #events: TypedEventEmitter<ProviderSettlementEvents>

  constructor(service: DefaultSettlementService, events: TypedEventEmitter<ProviderSettlementEvents>) {
    this.#service = service
    this.#events = events
  }

  async acceptVoucher(terms: AgreementTerms, voucher: SignedVoucher): Promise<VerificationResult> {
    let parts: NetworkParts
    try {
      parts = this.#service.partsOf(terms.platform)
    } catch (err) {
      return refusalOf(err)
    }
    if (terms.mode !== 'escrow') return { ok: false, code: 'BadRequest', reason: `agreement ${terms.agreementId} is not settled by escrow` }
    return parts.payee.acceptVoucher(terms, voucher)
  }

  async verifyPayout(terms: AgreementTerms, confirmation: PayoutConfirmation): Promise<VerificationResult> {
    let parts: NetworkParts
    try {
      parts = this.#service.partsOf(terms.platform)
    } catch (err) {
      return refusalOf(err)
    }
    if (terms.mode !== 'direct') return { ok: false, code: 'BadRequest', reason: `agreement ${terms.agreementId} is not settled by direct payouts` }
    if (parts.direct === undefined) return { ok: false, code: 'BadRequest', reason: `network ${parts.chain.network.name} has no payouts contract configured` }
    return parts.direct.verifier.verifyPayout(terms, confirmation)
  }

  async agreementEnded(agreementId: string): Promise<void> {
    for (const parts of this.#service.allParts()) await parts.payee.agreementEnded(agreementId)
  }

  addEventListener<K extends keyof ProviderSettlementEvents>(type: K, listener: (event: ProviderSettlementEvents[K]) => void): void {
    this.#events.addEventListener(type, listener)
  }

  removeEventListener<K extends keyof ProviderSettlementEvents>(type: K, listener: (event: ProviderSettlementEvents[K]) => void): void {
    this.#events.removeEventListener(type, listener)
  }
}

/** The direct payer and verifier of a network, on its one sender; their events reach the service's listeners. */
function directParts(
  chain: NetworkChain,
  db: SettlementComponents['db'],
  logger: Logger,
  clock: Clock,
  init: SettlementInit,
  requesterEvents: TypedEventEmitter<RequesterSettlementEvents>,
  providerEvents: TypedEventEmitter<ProviderSettlementEvents>
): { payer: DirectPayer; verifier: DirectPayoutVerifier } {
  const common = { network: chain.network, provider: chain.provider, db, logger, clock }
  const payer = new DirectPayer(
    { ...common, sender: chain.sender },
    init.directBatchIntervalMs === undefined ? {} : { directBatchIntervalMs: init.directBatchIntervalMs }
  )
  const verifier = new DirectPayoutVerifier(common)
  payer.addEventListener('paid', event => requesterEvents.safeDispatchEvent('paid', { detail: event.detail }))
  payer.addEventListener('failed', event => requesterEvents.safeDispatchEvent('failed', { detail: event.detail }))
  verifier.addEventListener('settled', event => providerEvents.safeDispatchEvent('settled', { detail: event.detail }))
  return { payer, verifier }
}

/** Chain failures leave as PaymentErrors with their code (an RPC down is Unavailable, a reverting estimate Conflict). */
async function withChainErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof ChainError) throw new PaymentError(err.code, err.message, { cause: err })
    if (err instanceof PaymentError) throw err
    // ethers' own errors carry a string code; anything else is a fault of ours and stays as it is.
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'CALL_EXCEPTION') throw new PaymentError('Conflict', 'the chain refused the call', { cause: err })
    if (typeof code === 'string') throw new PaymentError('Unavailable', 'the chain could not be asked', { cause: err })
    throw err
  }
}

/** An unknown platform refuses a voucher or payout (BadRequest); a network not reachable yet defers it (Unavailable). */
function refusalOf(err: unknown): VerificationResult {
  if (err instanceof PaymentError && (err.code === 'NotFound' || err.code === 'BadRequest')) return { ok: false, code: 'BadRequest', reason: err.message }
  if (err instanceof PaymentError && err.code === 'Unavailable') return { ok: false, code: 'Unavailable', reason: err.message }
  throw err
}

function directOf(parts: NetworkParts, terms: AgreementTerms): NonNullable<NetworkParts['direct']> {
  if (parts.direct === undefined)
    throw new PaymentError('BadRequest', `network ${parts.chain.network.name} has no payouts contract for direct settlement of agreement ${terms.agreementId}`)
  return parts.direct
}

function definedOf<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
