import assert from 'node:assert/strict'
import {
  ChainError,
  DEV_PLATFORM_ALIASES,
  devNetworkConfig,
  initialFees,
  PaymentPlatforms,
  PUBLIC_NETWORKS,
  parseNetworkConfig,
  parsePlatformName,
  replacementFees
} from '../../payment/index.ts'

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const isCode = (code: string) => (err: unknown) => err instanceof ChainError && err.code === code
const isBadRequest = (err: unknown) => err instanceof Error && (err as { code?: string }).code === 'BadRequest'

function devConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...devNetworkConfig('http://127.0.0.1:8545', TOKEN), ...overrides }
}

describe('payment: network config, platform names and fees', () => {
  describe('network config', () => {
    it('turns a valid config into exact fees, checksummed addresses and its platform name', () => {
      const network = parseNetworkConfig(devConfig({ token: { symbol: 'tglm', address: TOKEN.toLowerCase(), decimals: 18 } }))
      assert.equal(network.platform, 'erc20-dev-tglm')
      assert.equal(network.token.address, TOKEN)
      assert.equal(network.fees.maxFeePerGas, 100_000_000_000n)
      assert.equal(network.rpcUrls[0], 'http://127.0.0.1:8545/')
      assert.deepEqual(network.aliases, [...DEV_PLATFORM_ALIASES])
      assert.equal(network.faucet, true)
    })

    it('every public network listed parses, each with its own chain id and platform name', () => {
      const parsed = PUBLIC_NETWORKS.map(n => parseNetworkConfig(n))
      assert.deepEqual(
        parsed.map(n => [n.platform, n.chainId]),
        [
          ['erc20-polygon-glm', 137],
          ['erc20-mainnet-glm', 1],
          ['erc20-holesky-tglm', 17_000]
        ]
      )
      assert.ok(parsed.every(n => n.rpcUrls.length >= 2))
    })

    const refusals: [string, Record<string, unknown>, RegExp][] = [
      ['no RPC URL', { rpcUrls: [] }, /rpcUrls/],
      ['an RPC URL that is not one', { rpcUrls: ['not a url'] }, /rpcUrls\[0\] is not a URL/],
      ['an RPC URL of another scheme', { rpcUrls: ['ftp://127.0.0.1/'] }, /must be http or https/],
      ['one RPC URL twice', { rpcUrls: ['http://127.0.0.1:1/', 'http://127.0.0.1:1'] }, /one URL twice/],
      [
        'a bad checksum',
        { token: { symbol: 'tglm', address: '0x5fbDB2315678afecb367f032d93F642f64180aa3', decimals: 18 } },
        /token.address is not a valid address/
      ],
      ['a short address', { token: { symbol: 'tglm', address: '0x1234', decimals: 18 } }, /token/],
      ['a network name with a dash', { name: 'my-net' }, /name/],
      ['a fee that is not a decimal', { fees: { ...devNetworkConfig('', TOKEN).fees, maxFeePerGas: '1e9' } }, /maxFeePerGas/],
      ['a tip above its cap', { fees: { ...devNetworkConfig('', TOKEN).fees, priorityFeePerGas: '20000000000' } }, /priorityFeePerGas is above/],
      [
        'a tip cap above the fee cap',
        { fees: { ...devNetworkConfig('', TOKEN).fees, maxFeePerGas: '1', priorityFeePerGas: '0', maxPriorityFeePerGas: '2' } },
        /maxPriorityFeePerGas is above/
      ],
      ['an alias equal to its own name', { aliases: ['erc20-dev-tglm'] }, /aliases must differ/],
      ['an unknown field', { rpcUrl: 'http://127.0.0.1:1' }, /rpcUrl/],
      ['a negative confirmation count', { confirmations: -1 }, /confirmations/]
    ]
    for (const [what, overrides, message] of refusals) {
      it(`refuses ${what}, naming it`, () => {
        assert.throws(
          () => parseNetworkConfig(devConfig(overrides)),
          (err: unknown) => isBadRequest(err) && message.test((err as Error).message)
        )
      })
    }
  })

  describe('platform names', () => {
    const platforms = new PaymentPlatforms([parseNetworkConfig(devConfig()), parseNetworkConfig(PUBLIC_NETWORKS[0]!)])

    it('splits erc20-<network>-<token>, and refuses other forms', () => {
      assert.deepEqual(parsePlatformName('erc20-polygon-glm'), { driver: 'erc20', network: 'polygon', token: 'glm' })
      for (const bad of ['erc20-polygon', 'erc20-poly-gon-glm', 'ERC20-polygon-glm', '', 'erc20--glm']) {
        assert.throws(() => parsePlatformName(bad), isCode('BadRequest'), bad)
      }
    })

    it('resolves a network by its platform name and the dev network by the names golem-js derives from PAYMENT_NETWORK', () => {
      assert.equal(platforms.resolve('erc20-polygon-glm').name, 'polygon')
      assert.equal(platforms.resolve('erc20-dev-tglm').name, 'dev')
      // golem-js with PAYMENT_NETWORK unset (holesky) or set to another testnet.
      for (const alias of ['erc20-holesky-tglm', 'erc20-sepolia-tglm']) assert.equal(platforms.resolve(alias).name, 'dev')
    })

    it('answers NotFound for a platform not configured or of another driver', () => {
      assert.throws(() => platforms.resolve('erc20-mainnet-glm'), isCode('NotFound'))
      assert.throws(() => platforms.resolve('zksync-polygon-glm'), isCode('NotFound'))
    })

    it('refuses two networks claiming one platform name (the dev aliases beside a real holesky)', () => {
      assert.throws(
        () => new PaymentPlatforms([parseNetworkConfig(devConfig()), parseNetworkConfig(PUBLIC_NETWORKS[2]!)]),
        (err: unknown) => isCode('BadRequest')(err) && /erc20-holesky-tglm is claimed by both dev and holesky/.test((err as Error).message)
      )
    })
  })

  describe('EIP-1559 fees', () => {
    const policy = parseNetworkConfig(devConfig()).fees // caps: 100 gwei fee, 10 gwei tip; tip 1 gwei; 200 %; bump 25 %
    const gwei = 1_000_000_000n

    it('bids twice the base fee plus the tip, within the cap', () => {
      assert.deepEqual(initialFees(policy, 7n * gwei), { maxFeePerGas: 15n * gwei, maxPriorityFeePerGas: gwei })
      assert.deepEqual(initialFees(policy, 60n * gwei), { maxFeePerGas: 100n * gwei, maxPriorityFeePerGas: gwei })
    })

    it('waits (Unavailable) while the base fee alone is above the cap', () => {
      assert.throws(() => initialFees(policy, 100n * gwei), isCode('Unavailable'))
    })

    it('raises a replacement by the bump, rounded up, and at least to the new base fee', () => {
      assert.deepEqual(replacementFees(policy, { maxFeePerGas: 15n * gwei, maxPriorityFeePerGas: gwei }, 7n * gwei), {
        maxFeePerGas: 18_750_000_000n,
        maxPriorityFeePerGas: 1_250_000_000n
      })
      // A fee spike: the base fee went to 30 gwei.
      assert.equal(replacementFees(policy, { maxFeePerGas: 15n * gwei, maxPriorityFeePerGas: gwei }, 30n * gwei).maxFeePerGas, 61_250_000_000n)
      assert.equal(replacementFees(policy, { maxFeePerGas: 3n, maxPriorityFeePerGas: 3n }, 0n).maxFeePerGas, 4n)
    })

    it('refuses (Conflict) a replacement the caps leave no room for', () => {
      assert.throws(() => replacementFees(policy, { maxFeePerGas: 95n * gwei, maxPriorityFeePerGas: gwei }, gwei), isCode('Conflict'))
    })
  })
})
