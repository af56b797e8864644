// A payment network as configured: where its chain answers (one or more RPC
// URLs, tried in order), its chain id, the token and contracts Agora uses on
// it, how many confirmations make a payment final, and the EIP-1559 fee policy
// with its caps. Wei amounts are decimal strings: money is never a float.
import Type from 'typebox'
import type { Static } from 'typebox'

export const MAX_RPC_URLS = 8

const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'a 0x address (mixed case must be a valid checksum)' })
const Wei = Type.String({ pattern: '^(0|[1-9][0-9]{0,29})$', description: 'an amount in wei, as a decimal string' })
// No '-' in either: a platform name `erc20-<network>-<token>` must split one way only.
export const NETWORK_NAME_PATTERN = '^[a-z][a-z0-9]{0,31}$'
export const TOKEN_SYMBOL_PATTERN = '^[a-z][a-z0-9]{0,15}$'
export const PLATFORM_NAME_PATTERN = '^[a-z][a-z0-9]{0,15}-[a-z][a-z0-9]{0,31}-[a-z][a-z0-9]{0,15}$'

export const FeePolicySchema = Type.Object(
  {
    /** The most this network's transactions may ever bid per gas (base fee + tip). */
    maxFeePerGas: Wei,
    /** The most a tip may reach, also after replacements. */
    maxPriorityFeePerGas: Wei,
    /** The tip a first attempt offers. */
    priorityFeePerGas: Wei,
    /** maxFeePerGas of a first attempt: this share of the current base fee (200 = twice it), plus the tip. */
    baseFeeHeadroomPercent: Type.Integer({ minimum: 100, maximum: 1_000 }),
    /** How much a replacement raises both fees (nodes require at least 10 %). */
    replacementBumpPercent: Type.Integer({ minimum: 10, maximum: 1_000 })
  },
  { additionalProperties: false }
)

export const NetworkConfigSchema = Type.Object(
  {
    name: Type.String({ pattern: NETWORK_NAME_PATTERN }),
    chainId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    rpcUrls: Type.Array(Type.String({ minLength: 1, maxLength: 2_048 }), { minItems: 1, maxItems: MAX_RPC_URLS }),
    token: Type.Object(
      {
        symbol: Type.String({ pattern: TOKEN_SYMBOL_PATTERN }),
        address: Address,
        decimals: Type.Integer({ minimum: 0, maximum: 36 })
      },
      { additionalProperties: false }
    ),
    contracts: Type.Optional(Type.Object({ escrow: Type.Optional(Address), batchPayout: Type.Optional(Address) }, { additionalProperties: false })),
    confirmations: Type.Integer({ minimum: 0, maximum: 1_000 }),
    fees: FeePolicySchema,
    /** Other platform names this network answers to (e.g. those golem-js derives from PAYMENT_NETWORK). */
    aliases: Type.Optional(Type.Array(Type.String({ pattern: PLATFORM_NAME_PATTERN }), { maxItems: 16 })),
    /** A dev or test network: tokens and gas may be minted on it. */
    faucet: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

export type NetworkConfigInput = Static<typeof NetworkConfigSchema>
export type FeePolicyInput = Static<typeof FeePolicySchema>
