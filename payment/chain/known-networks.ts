// Networks Agora knows by name: the embedded dev chain, and Golem's GLM on
// public chains. The public ones are config (addresses as Golem publishes
// them); they are documented in docs/payments.md and cannot be tested here.
import type { NetworkConfigInput } from './network-schema.ts'
import { DEV_CHAIN_ID } from './dev-constants.ts'

/**
 * The names golem-js derives from PAYMENT_NETWORK (erc20-<network>-tglm for a
 * testnet; holesky when unset) that the dev network answers to, so an
 * unchanged golem-js script pays on the local dev chain.
 */
export const DEV_PLATFORM_ALIASES = ['erc20-holesky-tglm', 'erc20-sepolia-tglm', 'erc20-hoodi-tglm', 'erc20-amoy-tglm'] as const

const GWEI = 1_000_000_000n

/** The dev network's config once its chain runs at `rpcUrl` and its token is deployed at `tokenAddress`. */
export function devNetworkConfig(rpcUrl: string, tokenAddress: string, contracts: NetworkConfigInput['contracts'] = {}): NetworkConfigInput {
  return {
    name: 'dev',
    chainId: DEV_CHAIN_ID,
    rpcUrls: [rpcUrl],
    token: { symbol: 'tglm', address: tokenAddress, decimals: 18 },
    contracts,
    confirmations: 0,
    fees: {
      maxFeePerGas: String(100n * GWEI),
      maxPriorityFeePerGas: String(10n * GWEI),
      priorityFeePerGas: String(GWEI),
      baseFeeHeadroomPercent: 200,
      replacementBumpPercent: 25
    },
    aliases: [...DEV_PLATFORM_ALIASES],
    faucet: true
  }
}

/** Golem's GLM on Polygon PoS, Ethereum mainnet and the Holesky testnet (tGLM). */
export const PUBLIC_NETWORKS: readonly NetworkConfigInput[] = [
  {
    name: 'polygon',
    chainId: 137,
    rpcUrls: ['https://polygon-rpc.com/', 'https://polygon-bor-rpc.publicnode.com/'],
    token: { symbol: 'glm', address: '0x0B220b82F3eA3B7F6d9A1D8ab58930C064A2b5Bf', decimals: 18 },
    confirmations: 64,
    fees: {
      maxFeePerGas: String(1_000n * GWEI),
      maxPriorityFeePerGas: String(100n * GWEI),
      priorityFeePerGas: String(30n * GWEI),
      baseFeeHeadroomPercent: 200,
      replacementBumpPercent: 25
    }
  },
  {
    name: 'mainnet',
    chainId: 1,
    rpcUrls: ['https://ethereum-rpc.publicnode.com/', 'https://eth.llamarpc.com/'],
    token: { symbol: 'glm', address: '0x7DD9c5Cba05E151C895FDe1CF355C9A1D5DA6429', decimals: 18 },
    confirmations: 12,
    fees: {
      maxFeePerGas: String(100n * GWEI),
      maxPriorityFeePerGas: String(5n * GWEI),
      priorityFeePerGas: String(GWEI),
      baseFeeHeadroomPercent: 200,
      replacementBumpPercent: 25
    }
  },
  {
    name: 'holesky',
    chainId: 17_000,
    rpcUrls: ['https://holesky.rpc-node.dev.golem.network/', 'https://ethereum-holesky-rpc.publicnode.com/'],
    token: { symbol: 'tglm', address: '0x8888888815bf4DB87e57B609A50f938311EEd068', decimals: 18 },
    confirmations: 3,
    fees: {
      maxFeePerGas: String(100n * GWEI),
      maxPriorityFeePerGas: String(10n * GWEI),
      priorityFeePerGas: String(GWEI),
      baseFeeHeadroomPercent: 200,
      replacementBumpPercent: 25
    },
    faucet: true
  }
]
