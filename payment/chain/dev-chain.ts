// The embedded dev chain: one anvil process on 127.0.0.1, ready once it
// answers eth_chainId. With a state file it keeps its chain across restarts
// (anvil dumps the state every `stateIntervalSeconds`, so even a SIGKILL loses
// at most that interval). stop() ends it with SIGTERM, then SIGKILL after a
// bound; nothing it started outlives it, or this process, however this
// process ends (a watch process kills the chain when this one is gone).
import { type ChildProcess, spawn } from 'node:child_process'
import { type Clock, deadlineSignal, silentLogger, systemClock } from '../../net/kernel.ts'
import type { Logger } from '../../net/kernel.ts'
import { anvilBinaryPath } from './anvil-binary.ts'
import { ChainError } from './chain-error.ts'
import { reapOnExit, releaseReaped } from './child-reaper.ts'
import { killWithParent } from './parent-watch.ts'
import { DEV_CHAIN_ID, DEV_MNEMONIC } from './dev-constants.ts'
import { jsonRpcCall } from './json-rpc.ts'

export interface DevChainComponents {
  logger?: Logger
  clock?: Clock
}

export interface DevChainInit {
  /** 0 (the default) lets the system pick a free port; the bound port is read from anvil's output. */
  port?: number
  /** A file anvil loads at start (if present) and dumps to while it runs. */
  statePath?: string
  /** How often the state is dumped, in whole seconds (default 1). */
  stateIntervalSeconds?: number
  /** Mine a block every so many seconds instead of one per transaction. */
  blockTimeSeconds?: number
  /** Mine only when asked (evm_mine), e.g. to hold transactions in the pool. */
  noMining?: boolean
  chainId?: number
  mnemonic?: string
  /** How many funded dev accounts the mnemonic derives (default 10). */
  accounts?: number
  /** Each dev account's balance in whole ether (default 10000). */
  balanceEther?: number
  /** How long start() waits for the chain to answer (default 30 s: a loaded machine). */
  readyTimeoutMs?: number
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  stopGraceMs?: number
  /** Another anvil executable; by default the one installed from npm. */
  binaryPath?: string
}

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

const LISTENING = /Listening on ([\d.]+):(\d+)/
const OUTPUT_TAIL_LINES = 20
const FIRST_POLL_MS = 5
const LONGEST_POLL_MS = 100
const RPC_CALL_TIMEOUT_MS = 2_000

export class DevChain {
  readonly #log: Logger
  readonly #clock: Clock
  readonly #init: Required<Omit<DevChainInit, 'statePath' | 'blockTimeSeconds' | 'binaryPath'>> & DevChainInit
  #child: ChildProcess | undefined
  #exited: Promise<Exit> | undefined
  #port: number | undefined
  #stopping: Promise<void> | undefined
  readonly #outputTail: string[] = []

  constructor(components: DevChainComponents = {}, init: DevChainInit = {}) {
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:dev-chain' })
    this.#clock = components.clock ?? systemClock
    this.#init = {
      port: 0,
      stateIntervalSeconds: 1,
      noMining: false,
      chainId: DEV_CHAIN_ID,
      mnemonic: DEV_MNEMONIC,
      accounts: 10,
      balanceEther: 10_000,
      readyTimeoutMs: 30_000,
      stopGraceMs: 5_000,
      ...init
    }
    validateInit(this.#init)
  }

  get chainId(): number {
    return this.#init.chainId
  }

  /** The bound port; only while started. */
  get port(): number {
    if (this.#port === undefined) throw new ChainError('Conflict', 'the dev chain is not started')
    return this.#port
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** Resolves once the started chain's process has exited, for whatever reason (resolves at once when none runs). */
  async whenExited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return await (this.#exited ?? Promise.resolve({ code: null, signal: null }))
  }

  isStarted(): boolean {
    return this.#port !== undefined
  }

  async start(): Promise<void> {
    if (this.#child !== undefined) throw new ChainError('Conflict', 'the dev chain is already started')
    const started = this.#clock.now()
    const child = spawn(this.#init.binaryPath ?? anvilBinaryPath(), this.#args(), { stdio: ['ignore', 'pipe', 'pipe'] })
    reapOnExit(child)
    // The exit hook misses a default SIGTERM/SIGINT and any SIGKILL of this process; the watch does not.
    const watch = killWithParent(child)
    this.#child = child
    this.#outputTail.length = 0
    this.#exited = new Promise<Exit>(resolve => {
      child.once('exit', (code, signal) => {
        releaseReaped(child)
        watch.release()
        resolve({ code, signal })
      })
      // A failed spawn (no such binary) emits error and no exit.
      child.once('error', err => {
        this.#log.error({ err }, 'the dev chain could not be spawned')
        releaseReaped(child)
        watch.release()
        resolve({ code: null, signal: null })
      })
    })
    try {
      const port = await this.#listeningPort(child)
      await this.#untilAnswering(port, started + this.#init.readyTimeoutMs)
      this.#port = port
      this.#log.info({ port, pid: child.pid, ms: this.#clock.now() - started }, 'dev chain ready')
    } catch (err) {
      this.#log.error({ err, output: this.#outputTail.join('\n') }, 'the dev chain did not start')
      await this.#kill('SIGKILL')
      throw err
    }
  }

  /** Ends the chain: SIGTERM (anvil dumps its state), then SIGKILL past the grace bound. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping ??= this.#stopWithin(this.#init.stopGraceMs)
    await this.#stopping
  }

  /** Kills the chain at once, as a crash would: only what the last state dump holds survives. */
  async kill(): Promise<void> {
    await this.#kill('SIGKILL')
  }

  async #stopWithin(graceMs: number): Promise<void> {
    try {
      const exited = this.#exited
      if (this.#child === undefined || exited === undefined) return
      this.#child.kill('SIGTERM')
      let timer: unknown
      const overran = new Promise<'overran'>(resolve => {
        timer = this.#clock.setTimeout(() => resolve('overran'), graceMs)
      })
      const outcome = await Promise.race([exited, overran])
      this.#clock.clearTimeout(timer)
      if (outcome === 'overran') {
        this.#log.warn({ graceMs }, 'the dev chain ignored SIGTERM; killing it')
        await this.#kill('SIGKILL')
      } else {
        this.#forget()
      }
    } finally {
      this.#stopping = undefined
    }
  }

  async #kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child
    const exited = this.#exited
    if (child === undefined || exited === undefined) return
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
    this.#forget()
  }

  #forget(): void {
    this.#child = undefined
    this.#exited = undefined
    this.#port = undefined
  }

  #args(): string[] {
    const init = this.#init
    const args = ['--host', '127.0.0.1', '--port', String(init.port), '--chain-id', String(init.chainId)]
    args.push('--mnemonic', init.mnemonic, '--accounts', String(init.accounts), '--balance', String(init.balanceEther))
    if (init.statePath !== undefined) args.push('--state', init.statePath, '--state-interval', String(init.stateIntervalSeconds))
    if (init.blockTimeSeconds !== undefined) args.push('--block-time', String(init.blockTimeSeconds))
    if (init.noMining) args.push('--no-mining')
    return args
  }

  /** Resolves with the port from anvil's "Listening on" line; rejects if it exits or the bound passes first. */
  #listeningPort(child: ChildProcess): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let pending = ''
      const timer = this.#clock.setTimeout(() => {
        reject(new ChainError('Timeout', `the dev chain did not listen within ${this.#init.readyTimeoutMs} ms`))
      }, this.#init.readyTimeoutMs)
      const onLine = (line: string): void => {
        this.#remember(line)
        const match = LISTENING.exec(line)
        if (match !== null) {
          this.#clock.clearTimeout(timer)
          resolve(Number(match[2]))
        }
      }
      // Read all output for as long as the process runs: a full pipe would stall it.
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) onLine(line)
      })
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim() !== '') this.#remember(line)
      })
      void this.#exited?.then(exit => {
        this.#clock.clearTimeout(timer)
        reject(new ChainError('Unavailable', `the dev chain exited before it listened (code ${exit.code}, signal ${exit.signal})`))
      })
    })
  }

  async #untilAnswering(port: number, deadline: number): Promise<void> {
    const url = `http://127.0.0.1:${port}`
    for (let waitMs = FIRST_POLL_MS; ; waitMs = Math.min(waitMs * 2, LONGEST_POLL_MS)) {
      try {
        const call = deadlineSignal(RPC_CALL_TIMEOUT_MS)
        const chainId = await jsonRpcCall(url, 'eth_chainId', [], call.signal).finally(call.clear)
        if (chainId === `0x${this.#init.chainId.toString(16)}`) return
        throw new ChainError('Internal', `the dev chain answered chain id ${String(chainId)}, not ${this.#init.chainId}`)
      } catch (err) {
        if (err instanceof ChainError) throw err
        if (this.#clock.now() > deadline) throw new ChainError('Timeout', `the dev chain did not answer JSON-RPC in time`, { cause: err })
      }
      await new Promise<void>(resolve => this.#clock.setTimeout(resolve, waitMs))
    }
  }

  #remember(line: string): void {
    this.#outputTail.push(line)
    if (this.#outputTail.length > OUTPUT_TAIL_LINES) this.#outputTail.shift()
  }
}

function validateInit(init: DevChainInit): void {
  const wholeIn = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
      throw new ChainError('BadRequest', `dev chain ${name} must be a whole number from ${min} to ${max}, not ${value}`)
    }
  }
  wholeIn('port', init.port, 0, 65_535)
  wholeIn('stateIntervalSeconds', init.stateIntervalSeconds, 1, 86_400)
  wholeIn('chainId', init.chainId, 1, Number.MAX_SAFE_INTEGER)
  wholeIn('accounts', init.accounts, 1, 1_000)
  wholeIn('balanceEther', init.balanceEther, 0, Number.MAX_SAFE_INTEGER)
  if (init.blockTimeSeconds !== undefined && !(Number.isFinite(init.blockTimeSeconds) && init.blockTimeSeconds > 0)) {
    throw new ChainError('BadRequest', `dev chain blockTimeSeconds must be above 0, not ${init.blockTimeSeconds}`)
  }
  if (init.blockTimeSeconds !== undefined && init.noMining === true) {
    throw new ChainError('BadRequest', 'dev chain blockTimeSeconds and noMining exclude each other')
  }
}
