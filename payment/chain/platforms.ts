// Payment platform names as Golem writes them, `<driver>-<network>-<token>`
// (e.g. erc20-polygon-glm), and the lookup from any name a client may use,
// a network's own or one of its aliases, to that network.
import { ChainError } from './chain-error.ts'
import type { ChainNetwork } from './network-config.ts'

export const PAYMENT_DRIVER = 'erc20'

export interface PlatformName {
  readonly driver: string
  readonly network: string
  readonly token: string
}

export function platformNameOf(network: string, token: string): string {
  return `${PAYMENT_DRIVER}-${network}-${token}`
}

const PLATFORM = /^([a-z][a-z0-9]{0,15})-([a-z][a-z0-9]{0,31})-([a-z][a-z0-9]{0,15})$/

/** Splits a platform name; throws BadRequest for anything else. */
export function parsePlatformName(name: string): PlatformName {
  const match = PLATFORM.exec(name)
  if (match === null) throw new ChainError('BadRequest', `payment platform ${JSON.stringify(name.slice(0, 80))} is not of the form erc20-<network>-<token>`)
  return { driver: match[1]!, network: match[2]!, token: match[3]! }
}

/** The networks this node pays on, found by platform name or alias. */
export class PaymentPlatforms {
  readonly #byName = new Map<string, ChainNetwork>()
  readonly #networks: readonly ChainNetwork[]

  constructor(networks: readonly ChainNetwork[]) {
    const names = new Set<string>()
    for (const network of networks) {
      if (names.has(network.name)) throw new ChainError('BadRequest', `network ${network.name} is configured twice`)
      names.add(network.name)
      for (const name of [network.platform, ...network.aliases]) {
        const other = this.#byName.get(name)
        if (other !== undefined) throw new ChainError('BadRequest', `payment platform ${name} is claimed by both ${other.name} and ${network.name}`)
        this.#byName.set(name, network)
      }
    }
    this.#networks = networks
  }

  get networks(): readonly ChainNetwork[] {
    return this.#networks
  }

  /** The network behind `name` (its platform name or an alias); NotFound for an unknown platform. */
  resolve(name: string): ChainNetwork {
    const { driver } = parsePlatformName(name)
    if (driver !== PAYMENT_DRIVER) throw new ChainError('NotFound', `payment driver ${driver} is not supported (only ${PAYMENT_DRIVER})`)
    const network = this.#byName.get(name)
    if (network === undefined) throw new ChainError('NotFound', `payment platform ${name} is not configured on this node`)
    return network
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }
}
