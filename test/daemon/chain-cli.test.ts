import assert from 'node:assert/strict'
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseNetworkConfig } from '../../payment/index.ts'
import { jsonRpcCall } from '../../payment/chain/json-rpc.ts'
import { agora, reapChildren, spawnAgora } from '../helpers/agora-process.ts'
import { startChainDev } from '../helpers/chain-dev-process.ts'
import { waitFor } from '../helpers/wait.ts'

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/** The processes whose command line names `text` (Linux's /proc). */
async function processesNaming(text: string): Promise<number[]> {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.split('\0').includes(text)) found.push(Number(entry))
  }
  return found
}

describe('agora chain dev', function () {
  this.timeout(180_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-chain-cli-'))
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses bad options with exit code 2 before it creates anything', async () => {
    const chainDir = join(dir, 'bad-options')
    for (const [args, message] of [
      [['--port', 'x'], /--port: must be a port number/],
      [['--port', '70000'], /--port: must be a port number/],
      [['--block-time', '0'], /--block-time: must be a number of seconds above 0/],
      [['--block-time', '-1'], /--block-time/],
      [['--colour'], /--colour/]
    ] as const) {
      const result = await agora(['chain', 'dev', '--data-dir', chainDir, ...args])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
    }
    await assert.rejects(access(chainDir), 'nothing was created')
    const help = await agora(['--help'])
    for (const command of ['chain dev', 'payment status', 'payment accounts', 'payment deposits', 'payment claim', 'payment fund']) {
      assert.ok(help.stdout.includes(command), command)
    }
  })

  it('runs one chain per directory, prints its network, stops it on SIGTERM and reuses it on the next start', async () => {
    const chainDir = join(dir, 'chain')
    const first = await startChainDev(chainDir)
    const { info } = first
    assert.equal(info.deployed, true)
    assert.equal(info.networkFile, join(chainDir, 'network.json'))
    assert.equal(info.platform, 'erc20-dev-tglm')
    assert.equal(await jsonRpcCall(info.rpcUrl, 'eth_chainId', []), '0x7a69')
    for (const address of Object.values(info.contracts)) assert.notEqual(await jsonRpcCall(info.rpcUrl, 'eth_getCode', [address, 'latest']), '0x')
    const file = JSON.parse(await readFile(info.networkFile, 'utf8')) as { networks: unknown[] }
    assert.equal(parseNetworkConfig(file.networks[0]).token.address, info.contracts.token)
    const anvil = await first.chainPid()

    // A second one on the same directory is refused, and the first runs on.
    const second = await agora(['chain', 'dev', '--data-dir', chainDir])
    assert.equal(second.code, 1)
    assert.match(second.stderr, /agora: the dev chain directory .* is in use by another process/)
    assert.equal(await jsonRpcCall(info.rpcUrl, 'eth_chainId', []), '0x7a69')

    first.child.kill('SIGTERM')
    assert.equal(await first.exited, 0, first.stderr())
    assert.equal(isRunning(anvil), false, 'the chain process is gone')
    await assert.rejects(access(join(chainDir, 'chain.lock')))

    const again = await startChainDev(chainDir)
    assert.equal(again.info.deployed, false)
    assert.deepEqual(again.info.contracts, info.contracts)
    const againAnvil = await again.chainPid()
    again.child.kill('SIGINT')
    assert.equal(await again.exited, 0, again.stderr())
    assert.equal(isRunning(againAnvil), false)
  })

  it('a run killed with SIGKILL together with its watch leaves its chain behind; the next run ends that chain and goes on with its state', async () => {
    const chainDir = join(dir, 'killed')
    const killed = await startChainDev(chainDir)
    const orphan = await killed.chainPid()
    try {
      // The watch first: alone, a SIGKILL of the command ends the chain too (test/payment/chain-dev.test.ts).
      const watch = await killed.watchPid()
      process.kill(watch, 'SIGKILL')
      killed.child.kill('SIGKILL')
      await killed.exited
      // Its chain runs on, still writing the state file.
      assert.equal(isRunning(orphan), true)
      const next = await startChainDev(chainDir)
      assert.equal(isRunning(orphan), false, 'the chain of the killed run was ended')
      assert.equal(next.info.deployed, false, 'its state was kept')
      assert.deepEqual(next.info.contracts, killed.info.contracts)
      assert.notEqual(await next.chainPid(), orphan)
      next.child.kill('SIGTERM')
      assert.equal(await next.exited, 0, next.stderr())
    } finally {
      if (isRunning(orphan)) process.kill(orphan, 'SIGKILL')
    }
  })

  it('a SIGTERM while it starts ends the start cleanly: exit 0, no chain left, the directory let go', async () => {
    const chainDir = join(dir, 'stopped-early')
    const child = spawnAgora(['chain', 'dev', '--data-dir', chainDir])
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    // Once it holds the directory (its signal handlers are up by then), before its chain is ready.
    await waitFor(
      'the directory lock',
      async () =>
        await access(join(chainDir, 'chain.lock')).then(
          () => true,
          () => false
        ),
      60_000,
      5
    )
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
    assert.deepEqual(await processesNaming(join(chainDir, 'state.json')), [])
    await assert.rejects(access(join(chainDir, 'chain.lock')))
    await assert.rejects(access(join(chainDir, 'chain.pid')))
  })

  it('exits 1 when its chain dies under it', async () => {
    const running = await startChainDev(join(dir, 'dies'))
    process.kill(await running.chainPid(), 'SIGKILL')
    assert.equal(await running.exited, 1)
    assert.match(running.stderr(), /the dev chain exited by itself/)
  })
})
