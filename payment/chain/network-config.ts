// A network config checked beyond its shape (URLs, checksums, fee caps that
// agree) and turned into the form the code uses: bigint fees, checksummed
// addresses, its platform name. Bad config is refused with what was wrong.
import { getAddress } from 'ethers'
import { validator } from '../../net/index.ts'
import { ChainError } from './chain-error.ts'
import { NetworkConfigSchema } from './network-schema.ts'
import type { NetworkConfigInput } from './network-schema.ts'
import { platformNameOf } from './platforms.ts'

export interface FeePolicy {
  readonly maxFeePerGas: bigint
  readonly maxPriorityFeePerGas: bigint
  readonly priorityFeePerGas: bigint
  readonly baseFeeHeadroomPercent: number
  readonly replacementBumpPercent: number
}

export interface ChainNetwork {
  readonly name: string
  readonly chainId: number
  readonly rpcUrls: readonly string[]
  readonly token: { readonly symbol: string; readonly address: string; readonly decimals: number }
  readonly contracts: { readonly escrow?: string; readonly batchPayout?: string }
  readonly confirmations: number
  readonly fees: FeePolicy
  /** `erc20-<name>-<token>`, as Golem names payment platforms. */
  readonly platform: string
  readonly aliases: readonly string[]
  readonly faucet: boolean
}

// Over HTTP each call can fail over to the next URL on its own; websockets are not taken yet.
const RPC_PROTOCOLS = new Set(['http:', 'https:'])
const checkShape = validator(NetworkConfigSchema, 'network config')

/** Checks `value` as a network config; throws a BadRequest error naming the first problem. */
export function parseNetworkConfig(value: unknown, what = 'network config'): ChainNetwork {
  const input: NetworkConfigInput = checkShape.parse(value, what)
  const where = `${what} ${input.name}`
  const rpcUrls = input.rpcUrls.map((url, i) => rpcUrlOf(url, `${where}: rpcUrls[${i}]`))
  if (new Set(rpcUrls).size !== rpcUrls.length) throw new ChainError('BadRequest', `${where}: rpcUrls lists one URL twice`)
  const fees: FeePolicy = {
    maxFeePerGas: BigInt(input.fees.maxFeePerGas),
    maxPriorityFeePerGas: BigInt(input.fees.maxPriorityFeePerGas),
    priorityFeePerGas: BigInt(input.fees.priorityFeePerGas),
    baseFeeHeadroomPercent: input.fees.baseFeeHeadroomPercent,
    replacementBumpPercent: input.fees.replacementBumpPercent
  }
  if (fees.priorityFeePerGas > fees.maxPriorityFeePerGas) {
    throw new ChainError('BadRequest', `${where}: fees.priorityFeePerGas is above fees.maxPriorityFeePerGas`)
  }
  if (fees.maxPriorityFeePerGas > fees.maxFeePerGas) throw new ChainError('BadRequest', `${where}: fees.maxPriorityFeePerGas is above fees.maxFeePerGas`)
  const platform = platformNameOf(input.name, input.token.symbol)
  const aliases = input.aliases ?? []
  if (new Set(aliases).size !== aliases.length || aliases.includes(platform)) {
    throw new ChainError('BadRequest', `${where}: aliases must differ from each other and from the platform name ${platform}`)
  }
  const contracts: { escrow?: string; batchPayout?: string } = {}
  if (input.contracts?.escrow !== undefined) contracts.escrow = addressOf(input.contracts.escrow, `${where}: contracts.escrow`)
  if (input.contracts?.batchPayout !== undefined) contracts.batchPayout = addressOf(input.contracts.batchPayout, `${where}: contracts.batchPayout`)
  return {
    name: input.name,
    chainId: input.chainId,
    rpcUrls,
    token: { symbol: input.token.symbol, address: addressOf(input.token.address, `${where}: token.address`), decimals: input.token.decimals },
    contracts,
    confirmations: input.confirmations,
    fees,
    platform,
    aliases,
    faucet: input.faucet ?? false
  }
}

function rpcUrlOf(text: string, what: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ChainError('BadRequest', `${what} is not a URL`)
  }
  if (!RPC_PROTOCOLS.has(url.protocol)) throw new ChainError('BadRequest', `${what} must be http or https, not ${url.protocol}`)
  return url.href
}

function addressOf(text: string, what: string): string {
  try {
    return getAddress(text)
  } catch {
    throw new ChainError('BadRequest', `${what} is not a valid address (a mixed-case address must carry its checksum)`)
  }
}
