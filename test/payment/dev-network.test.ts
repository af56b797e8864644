import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { attach, ChainError, DevNetwork, devWallet, parseNetworkConfig, testTokenArtifact } from '../../payment/index.ts'
import type { DevNetworkStarted } from '../../payment/index.ts'
import { jsonRpcCall } from '../../payment/chain/json-rpc.ts'

const isCode = (code: string) => /^0x([0-9a-f]{2})+$/.test(code)

async function codeAt(rpcUrl: string, address: string): Promise<string> {
  return String(await jsonRpcCall(rpcUrl, 'eth_getCode', [address, 'latest']))
}

async function withProvider<T>(started: DevNetworkStarted, use: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
  const provider = new JsonRpcProvider(started.rpcUrl, started.chainId, { staticNetwork: true, cacheTimeout: -1 })
  provider.pollingInterval = 20
  try {
    return await use(provider)
  } finally {
    provider.destroy()
  }
}

/** The pid of a process that has exited: what a lock of a killed process names. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  assert.ok(child.pid !== undefined)
  return child.pid
}

describe('payment: the dev network (agora chain dev)', function () {
  this.timeout(120_000)
  let root: string
  const running: DevNetwork[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-dev-network-'))
  })
  // Whatever a test's outcome, no chain outlives it.
  afterEach(async () => {
    await Promise.all(running.splice(0).map(async network => await network.stop()))
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const open = (dir: string): DevNetwork => {
    const network = new DevNetwork({}, { dir })
    running.push(network)
    return network
  }

  it('the first start deploys the contracts, records them and writes the network file the daemons read', async () => {
    const dir = join(root, 'first')
    const started = await open(dir).start()
    assert.equal(started.deployed, true)
    assert.match(started.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    for (const address of Object.values(started.contracts)) assert.ok(isCode(await codeAt(started.rpcUrl, address)), `code at ${address}`)

    const file = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as { networks: unknown[] }
    assert.equal(file.networks.length, 1)
    const network = parseNetworkConfig(file.networks[0])
    assert.equal(network.platform, 'erc20-dev-tglm')
    assert.ok(network.aliases.includes('erc20-holesky-tglm'))
    assert.deepEqual(network.rpcUrls, [`${started.rpcUrl}/`])
    assert.equal(network.token.address, started.contracts.token)
    assert.equal(network.contracts.escrow, started.contracts.escrow)
    assert.equal(network.contracts.batchPayout, started.contracts.payouts)
    assert.equal(network.faucet, true)
    assert.equal((await stat(join(dir, 'network.json'))).mode & 0o777, 0o644)
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    // Written whole: no temporary file is left beside them.
    assert.deepEqual(
      (await readdir(dir)).filter(name => name.endsWith('.tmp')),
      []
    )

    // The token works: its faucet mints.
    const to = Wallet.createRandom().address
    await withProvider(started, async provider => {
      const token = attach(testTokenArtifact, started.contracts.token, devWallet(1).connect(provider))
      await (await token.getFunction('mint')(to, 5n)).wait()
      assert.equal(await token.getFunction('balanceOf')(to), 5n)
    })
  })

  it('refuses a second dev network on the same directory while one runs, and changes nothing', async () => {
    const dir = join(root, 'twice')
    await open(dir).start()
    const before = await readFile(join(dir, 'network.json'), 'utf8')
    const second = open(dir)
    await assert.rejects(
      second.start(),
      (err: unknown) => err instanceof ChainError && err.code === 'Conflict' && /in use by another process/.test(err.message)
    )
    assert.equal(second.pid, undefined, 'no chain was started for it')
    assert.equal(await readFile(join(dir, 'network.json'), 'utf8'), before)
  })

  it('a restart reuses the deployment and keeps the chain state; the lock is let go at stop', async () => {
    const dir = join(root, 'restart')
    const first = open(dir)
    const started = await first.start()
    const holder = Wallet.createRandom().address
    await withProvider(started, async provider => {
      const token = attach(testTokenArtifact, started.contracts.token, devWallet(2).connect(provider))
      await (await token.getFunction('mint')(holder, 777n)).wait()
    })
    await first.stop()
    await assert.rejects(stat(join(dir, 'chain.lock')), 'the lock is gone')

    const again = await open(dir).start()
    assert.equal(again.deployed, false)
    assert.deepEqual(again.contracts, started.contracts)
    await withProvider(again, async provider => {
      const token = attach(testTokenArtifact, again.contracts.token, provider)
      assert.equal(await token.getFunction('balanceOf')(holder), 777n)
    })
  })

  it('a chain that lost its state gets the contracts again at the recorded addresses', async () => {
    const dir = join(root, 'lost-state')
    const first = open(dir)
    const started = await first.start()
    await first.stop()
    await rm(join(dir, 'state.json'))
    const again = await open(dir).start()
    assert.equal(again.deployed, true)
    assert.deepEqual(again.contracts, started.contracts)
    for (const address of Object.values(again.contracts)) assert.ok(isCode(await codeAt(again.rpcUrl, address)))
  })

  it('a restart keeps the last port while it is free, and takes another one, written to the network file, when it is not', async () => {
    const dir = join(root, 'ports')
    const first = open(dir)
    const started = await first.start()
    const port = Number(new URL(started.rpcUrl).port)
    await first.stop()
    const again = open(dir)
    assert.equal((await again.start()).rpcUrl, started.rpcUrl)
    await again.stop()

    const squatter = createServer()
    squatter.listen(port, '127.0.0.1')
    await once(squatter, 'listening')
    try {
      assert.equal((squatter.address() as AddressInfo).port, port)
      const moved = await open(dir).start()
      assert.notEqual(moved.rpcUrl, started.rpcUrl)
      assert.deepEqual(moved.contracts, started.contracts)
      const file = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as { networks: Array<{ rpcUrls: string[] }> }
      assert.deepEqual(file.networks[0]?.rpcUrls, [moved.rpcUrl])
    } finally {
      squatter.close()
    }
  })

  it('a port given that is taken fails with Unavailable, and lets go of the directory', async () => {
    const squatter = createServer()
    squatter.listen(0, '127.0.0.1')
    await once(squatter, 'listening')
    try {
      const network = new DevNetwork({}, { dir: join(root, 'taken'), port: (squatter.address() as AddressInfo).port })
      running.push(network)
      await assert.rejects(network.start(), (err: unknown) => err instanceof ChainError && err.code === 'Unavailable')
      assert.equal(network.pid, undefined)
      await assert.rejects(stat(join(root, 'taken', 'chain.lock')))
    } finally {
      squatter.close()
    }
  })

  it('takes over a lock left by a process that was killed', async () => {
    const dir = join(root, 'stale-lock')
    const first = open(dir)
    await first.start()
    await first.stop()
    await writeFile(join(dir, 'chain.lock'), `${await deadPid()}\n`)
    const again = await open(dir).start()
    assert.equal(again.deployed, false)
    assert.equal((await readFile(join(dir, 'chain.lock'), 'utf8')).trim(), String(process.pid))
  })

  it('refuses a record whose code the chain does not hold, or a damaged one, and leaves nothing running', async () => {
    const dir = join(root, 'bad-record')
    const first = open(dir)
    await first.start()
    await first.stop()
    const recordPath = join(dir, 'deployment.json')
    const good = await readFile(recordPath, 'utf8')
    const record = JSON.parse(good) as { escrow: { codeSha256: string } }
    record.escrow.codeSha256 = '0'.repeat(64)
    await writeFile(recordPath, JSON.stringify(record))

    const wrongCode = open(dir)
    await assert.rejects(wrongCode.start(), (err: unknown) => err instanceof ChainError && err.code === 'Conflict' && /escrow/.test(err.message))
    assert.equal(wrongCode.pid, undefined, 'its chain was stopped')
    await assert.rejects(stat(join(dir, 'chain.lock')), 'the lock was let go')

    await writeFile(recordPath, '{"version":1')
    await assert.rejects(open(dir).start(), (err: unknown) => err instanceof ChainError && err.code === 'BadRequest' && /deployment\.json/.test(err.message))
    await assert.rejects(stat(join(dir, 'chain.lock')))

    await writeFile(recordPath, good)
    assert.equal((await open(dir).start()).deployed, false)
  })
})
