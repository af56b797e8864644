// A dev network kept in one directory: the dev chain (its state in
// `state.json`), the contracts deployed on it at its first start
// (`deployment.json` records them), and the network file the daemons read
// (`network.json`, `{ "networks": [<the dev network's config>] }`, written
// whole or not at all). One process at a time runs it (`chain.lock`).
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Clock, silentLogger, systemClock } from '../../net/kernel.ts'
import type { Logger } from '../../net/kernel.ts'
import type { DeployedContracts } from '../contracts/deploy.ts'
import { writeFileAtomic } from '../../net/kernel.ts'
import { ChainError } from './chain-error.ts'
import { DevChain } from './dev-chain.ts'
import type { DevChainInit } from './dev-chain.ts'
import { type DirLock, lockDir } from './dev-chain-lock.ts'
import { checkDeployment, contractsOf, type DeploymentRecord, deployDevContracts, parseDeploymentRecord, sameDeployment } from './dev-deployment.ts'
import { devNetworkConfig } from './known-networks.ts'
import { endOrphanChain, forgetChainPid, recordChainPid } from './orphan-chain.ts'
import type { NetworkConfigInput } from './network-schema.ts'

const DEFAULT_STOP_GRACE_MS = 5_000

export interface DevNetworkComponents {
  logger?: Logger
  clock?: Clock
}

export interface DevNetworkInit extends Pick<DevChainInit, 'blockTimeSeconds' | 'readyTimeoutMs' | 'stopGraceMs' | 'binaryPath'> {
  /** The directory it lives in (created, mode 0700). */
  dir: string
  /** The chain's port: by default the one it had last time if still free, else one the system picks. */
  port?: number
}

export interface DevNetworkPaths {
  state: string
  deployment: string
  networkFile: string
  lock: string
  /** While it runs: the chain process's id (found and ended by the next run if this one was killed). */
  chainPid: string
}

export function devNetworkPaths(dir: string): DevNetworkPaths {
  return {
    state: join(dir, 'state.json'),
    deployment: join(dir, 'deployment.json'),
    networkFile: join(dir, 'network.json'),
    lock: join(dir, 'chain.lock'),
    chainPid: join(dir, 'chain.pid')
  }
}

export interface DevNetworkStarted {
  readonly rpcUrl: string
  readonly chainId: number
  readonly contracts: DeployedContracts
  readonly networkFile: string
  /** Whether this start deployed the contracts (false: they were there from an earlier start). */
  readonly deployed: boolean
  readonly network: NetworkConfigInput
}

export class DevNetwork {
  readonly #log: Logger
  readonly #components: DevNetworkComponents
  readonly #clock: Clock
  readonly #init: DevNetworkInit
  readonly #paths: DevNetworkPaths
  #lock: DirLock | undefined
  #chain: DevChain | undefined
  #started: DevNetworkStarted | undefined

  constructor(components: DevNetworkComponents, init: DevNetworkInit) {
    this.#components = components
    this.#clock = components.clock ?? systemClock
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:dev-network' })
    this.#init = init
    this.#paths = devNetworkPaths(init.dir)
  }

  get paths(): DevNetworkPaths {
    return this.#paths
  }

  /** What runs, once started. */
  get started(): DevNetworkStarted {
    if (this.#started === undefined) throw new ChainError('Conflict', 'the dev network is not started')
    return this.#started
  }

  /** Resolves once the chain's process has exited (stopped, or died by itself). */
  async whenChainExited(): Promise<void> {
    await this.#chain?.whenExited()
  }

  /** The chain's process id, while it runs. */
  get pid(): number | undefined {
    return this.#chain?.pid
  }

  /**
   * Takes the directory, starts the chain, deploys the contracts on the first
   * start (or checks that they are there) and writes the network file. On any
   * failure it stops what it started.
   */
  async start(): Promise<DevNetworkStarted> {
    if (this.#lock !== undefined) throw new ChainError('Conflict', 'the dev network is already started')
    await mkdir(this.#init.dir, { recursive: true, mode: 0o700 })
    this.#lock = await lockDir(this.#paths.lock, `the dev chain directory ${this.#init.dir}`)
    try {
      const record = await this.#readRecord()
      await endOrphanChain(this.#paths.chainPid, this.#paths.state, this.#init.stopGraceMs ?? DEFAULT_STOP_GRACE_MS, this.#clock, this.#log)
      const chain = await this.#startChain(record)
      if (chain.pid !== undefined) await recordChainPid(this.#paths.chainPid, chain.pid)
      const { record: deployment, deployed } = await this.#ensureDeployed(chain, record)
      const network = devNetworkConfig(chain.rpcUrl, deployment.token.address, { escrow: deployment.escrow.address, batchPayout: deployment.payouts.address })
      await writeFileAtomic(this.#paths.networkFile, `${JSON.stringify({ networks: [network] }, null, 2)}\n`, 0o644)
      this.#started = {
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        contracts: contractsOf(deployment),
        networkFile: this.#paths.networkFile,
        deployed,
        network
      }
      this.#log.info({ rpcUrl: chain.rpcUrl, deployed, ...this.#started.contracts }, 'dev network ready')
      return this.#started
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Stops the chain (it dumps its state) and lets go of the directory. The network file stays, for the next start. Idempotent. */
  async stop(): Promise<void> {
    const chain = this.#chain
    this.#chain = undefined
    this.#started = undefined
    try {
      await chain?.stop()
      if (chain !== undefined) await forgetChainPid(this.#paths.chainPid)
    } finally {
      const lock = this.#lock
      this.#lock = undefined
      await lock?.release()
    }
  }

  async #readRecord(): Promise<DeploymentRecord | null> {
    let text: string
    try {
      text = await readFile(this.#paths.deployment, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    return parseDeploymentRecord(text, this.#paths.deployment)
  }

  async #startChain(record: DeploymentRecord | null): Promise<DevChain> {
    const chainInit = (port: number): DevChainInit => ({
      port,
      statePath: this.#paths.state,
      ...(this.#init.blockTimeSeconds === undefined ? {} : { blockTimeSeconds: this.#init.blockTimeSeconds }),
      ...(this.#init.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: this.#init.readyTimeoutMs }),
      ...(this.#init.stopGraceMs === undefined ? {} : { stopGraceMs: this.#init.stopGraceMs }),
      ...(this.#init.binaryPath === undefined ? {} : { binaryPath: this.#init.binaryPath })
    })
    const chainComponents = {
      ...(this.#components.logger === undefined ? {} : { logger: this.#components.logger }),
      clock: this.#clock
    }
    if (this.#init.port !== undefined || record === null) {
      const chain = new DevChain(chainComponents, chainInit(this.#init.port ?? 0))
      this.#chain = chain
      await chain.start()
      return chain
    }
    // The daemons' network file names the last port: keep it when it is still free.
    const lastPort = await this.#lastPort()
    if (lastPort !== null) {
      const chain = new DevChain(chainComponents, chainInit(lastPort))
      this.#chain = chain
      try {
        await chain.start()
        return chain
      } catch (err) {
        this.#log.info({ err, port: lastPort }, 'the last port is taken; the system picks another')
        this.#chain = undefined
      }
    }
    const chain = new DevChain(chainComponents, chainInit(0))
    this.#chain = chain
    await chain.start()
    return chain
  }

  async #lastPort(): Promise<number | null> {
    try {
      const file = JSON.parse(await readFile(this.#paths.networkFile, 'utf8')) as { networks?: Array<{ rpcUrls?: string[] }> }
      const url = new URL(file.networks?.[0]?.rpcUrls?.[0] ?? '')
      const port = Number(url.port)
      return url.hostname === '127.0.0.1' && Number.isInteger(port) && port > 0 && port <= 65_535 ? port : null
    } catch {
      return null
    }
  }

  async #ensureDeployed(chain: DevChain, record: DeploymentRecord | null): Promise<{ record: DeploymentRecord; deployed: boolean }> {
    if (record !== null) {
      const check = await checkDeployment(chain.rpcUrl, record, this.#paths.deployment)
      if (check.state === 'present') return { record, deployed: false }
      this.#log.warn({ from: check.from }, 'the dev chain lost contracts its record names; deploying them again at the same addresses')
      const again = await deployDevContracts(chain.rpcUrl, chain.chainId, check.from)
      if (!sameDeployment(again, record))
        throw new ChainError('Conflict', `the contracts deployed again differ from ${this.#paths.deployment}; remove the directory to start afresh`)
      return { record, deployed: true }
    }
    const fresh = await deployDevContracts(chain.rpcUrl, chain.chainId)
    // Recorded only once deployed: a start that fails before this deploys again next time.
    await writeFileAtomic(this.#paths.deployment, `${JSON.stringify(fresh, null, 2)}\n`, 0o644)
    return { record: fresh, deployed: true }
  }
}
