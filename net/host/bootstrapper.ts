// Keeps the node connected to its bootstrap peers: one round of dials at
// start, then, in the background, a retry for every one that is not
// connected, backing off from `minRetryMs` to `maxRetryMs` per peer.
import type { Multiaddr } from '@multiformats/multiaddr'

export interface BootstrapOptions {
  minRetryMs: number
  maxRetryMs: number
}

interface Target {
  address: Multiaddr
  peerId: string
  delayMs: number
  nextAttemptAt: number
  dialing: boolean
}

export class Bootstrapper {
  readonly #targets: Target[]
  readonly #dial: (address: Multiaddr) => Promise<unknown>
  readonly #isConnected: (peerId: string) => boolean
  readonly #options: BootstrapOptions
  #timer: NodeJS.Timeout | undefined

  constructor(addresses: Multiaddr[], dial: (address: Multiaddr) => Promise<unknown>, isConnected: (peerId: string) => boolean, options: BootstrapOptions) {
    this.#targets = addresses.map(address => {
      const peerId = address.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peerId === undefined) throw new TypeError(`bootstrap address ${address.toString()} must end in /p2p/<peer id>`)
      return { address, peerId, delayMs: options.minRetryMs, nextAttemptAt: 0, dialing: false }
    })
    this.#dial = dial
    this.#isConnected = isConnected
    this.#options = options
  }

  /** Dials every bootstrap peer once (failures are retried later, not thrown). */
  async start(): Promise<void> {
    await Promise.all(
      this.#targets.map(async target => {
        await this.#attempt(target)
      })
    )
    if (this.#targets.length === 0) return
    this.#timer = setInterval(() => {
      this.#tick()
    }, this.#options.minRetryMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #tick(): void {
    const now = Date.now()
    for (const target of this.#targets) {
      if (target.dialing || now < target.nextAttemptAt || this.#isConnected(target.peerId)) continue
      void this.#attempt(target)
    }
  }

  async #attempt(target: Target): Promise<void> {
    target.dialing = true
    try {
      await this.#dial(target.address)
      target.delayMs = this.#options.minRetryMs
    } catch {
      target.delayMs = Math.min(target.delayMs * 2, this.#options.maxRetryMs)
    } finally {
      target.dialing = false
      target.nextAttemptAt = Date.now() + target.delayMs
    }
  }
}
