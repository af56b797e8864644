import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEther, Wallet } from 'ethers'
import { silentLogger } from '../../net/index.ts'
import { anvilBinaryPath, ChainError, DevChain, devWallet } from '../../payment/index.ts'
import { anvilPlatformPackage } from '../../payment/chain/anvil-binary.ts'
import { jsonRpcCall } from '../../payment/chain/json-rpc.ts'
import { devChainFixture, devProvider } from '../helpers/dev-chain.ts'
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

/** Whether `pid` is gone (or only a zombie waiting for its reaper, which no longer runs anything). */
async function isGone(pid: number): Promise<boolean> {
  if (!isRunning(pid)) return true
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return status === '' || /^State:\s+Z/m.test(status)
}

describe('payment: the dev chain (anvil)', function () {
  this.timeout(120_000)

  describe('a running chain', () => {
    const fixture = devChainFixture()

    it('listens on a port of its own on 127.0.0.1 and answers JSON-RPC with its chain id', async () => {
      const { chain } = fixture
      assert.ok(chain.port > 0)
      assert.equal(chain.rpcUrl, `http://127.0.0.1:${chain.port}`)
      assert.equal(await jsonRpcCall(chain.rpcUrl, 'eth_chainId', []), '0x7a69')
      assert.equal((await fixture.provider.getNetwork()).chainId, 31337n)
    })

    it('funds the dev accounts derived from its mnemonic, and mines a transfer from one', async () => {
      const sender = fixture.wallet(0)
      assert.equal(await fixture.provider.getBalance(sender.address), parseEther('10000'))
      const to = Wallet.createRandom().address
      const sent = await sender.sendTransaction({ to, value: 12_345n })
      const receipt = await sent.wait()
      assert.equal(receipt?.status, 1)
      assert.equal(await fixture.provider.getBalance(to), 12_345n)
    })

    it('refuses a second start while it runs', async () => {
      await assert.rejects(fixture.chain.start(), (err: unknown) => err instanceof ChainError && err.code === 'Conflict')
    })

    it('a second chain on the same port fails with Unavailable and leaves no process behind', async () => {
      const clash = new DevChain({}, { port: fixture.chain.port })
      await assert.rejects(clash.start(), (err: unknown) => err instanceof ChainError && err.code === 'Unavailable')
      assert.equal(clash.pid, undefined)
      assert.equal(clash.isStarted(), false)
    })
  })

  describe('state across restarts', () => {
    let dir: string
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'agora-dev-chain-state-'))
    })
    after(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('keeps a transfer that the state file holds when the chain is killed with SIGKILL', async () => {
      const statePath = join(dir, 'state.json')
      const chain = new DevChain({}, { statePath, stateIntervalSeconds: 1 })
      await chain.start()
      const to = Wallet.createRandom().address
      let hash: string
      const first = devProvider(chain)
      try {
        const sent = await devWallet(1).connect(first).sendTransaction({ to, value: 777n })
        hash = sent.hash
        await sent.wait()
        // The next periodic dump holds the transaction: wait for it, then crash.
        await waitFor('the state dump to hold the transfer', async () => (await readFile(statePath, 'utf8').catch(() => '')).includes(hash.slice(2)))
      } finally {
        first.destroy()
        await chain.kill()
      }
      assert.equal(chain.isStarted(), false)

      const again = new DevChain({}, { statePath })
      await again.start()
      const second = devProvider(again)
      try {
        assert.equal(await second.getBalance(to), 777n)
        assert.equal(await second.getTransactionCount(devWallet(1).address), 1)
        assert.equal((await second.getTransaction(hash))?.to, to)
      } finally {
        second.destroy()
        await again.stop()
      }
    })
  })

  describe('stopping', () => {
    it('stop() ends the process, and is idempotent', async () => {
      const chain = new DevChain()
      await chain.start()
      const pid = chain.pid
      assert.ok(pid !== undefined && isRunning(pid))
      await Promise.all([chain.stop(), chain.stop()])
      assert.equal(isRunning(pid), false)
      assert.equal(chain.isStarted(), false)
      await chain.stop()
    })

    it('kills a chain that does not end on SIGTERM once the grace bound has passed', async () => {
      const warnings: string[] = []
      const logger = { ...silentLogger, warn: (o: object | string, m?: string) => warnings.push(m ?? String(o)), child: () => logger }
      const chain = new DevChain({ logger }, { stopGraceMs: 500 })
      await chain.start()
      const pid = chain.pid!
      // A stopped process holds SIGTERM pending; only SIGKILL ends it. The stop takes effect when the process is next
      // scheduled (a SIGTERM sent before then would be handled first), so the test waits until the kernel says it is stopped.
      process.kill(pid, 'SIGSTOP')
      await waitFor('the chain to be stopped', async () => (await processState(pid)) === 'T')
      await chain.stop()
      assert.equal(isRunning(pid), false)
      assert.deepEqual(warnings, ['the dev chain ignored SIGTERM; killing it'])
    })

    it('a chain is killed when the process that started it exits without stopping it', async () => {
      const index = fileURLToPath(new URL('../../payment/index.ts', import.meta.url))
      const script = `import { DevChain } from ${JSON.stringify(index)}
const chain = new DevChain()
await chain.start()
console.log(String(chain.pid))
process.exit(3)`
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
      })
      const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
      assert.equal(code, 3)
      const pid = Number(out.trim())
      assert.ok(Number.isInteger(pid) && pid > 0, `the script printed a pid, not ${JSON.stringify(out)}`)
      await waitFor('the orphaned chain to be gone', () => isGone(pid))
    })

    for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
      it(`a chain dies with the process that started it when that process is ended by ${signal}`, async () => {
        const index = fileURLToPath(new URL('../../payment/index.ts', import.meta.url))
        // The process prints the chain's pid and port and every child it has (the chain and its watch), then waits.
        const script = `import { readFile } from 'node:fs/promises'
import { DevChain } from ${JSON.stringify(index)}
const chain = new DevChain()
await chain.start()
const children = (await readFile('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8')).trim().split(/\\s+/).map(Number)
console.log(JSON.stringify({ pid: chain.pid, port: chain.port, children }))
setInterval(() => {}, 1_000_000)`
        const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
        const parentExit = new Promise<NodeJS.Signals | null>(resolve => parent.once('exit', (_code, sig) => resolve(sig)))
        let started: { pid: number; port: number; children: number[] } | undefined
        try {
          started = await new Promise((resolve, reject) => {
            let out = ''
            parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
              out += chunk
              if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))))
            })
            void parentExit.then(sig => reject(new Error(`the process exited (${sig}) before its chain was ready`)))
          })
          const { pid, port, children } = started!
          assert.ok(children.includes(pid), 'the chain is a child of the process')
          assert.equal(children.length, 2, 'the chain and its watch')
          // The chain's end closes this connection to it: the event the test waits on.
          const connection = await new Promise<Socket>((resolve, reject) => {
            const socket = connect(port, '127.0.0.1', () => resolve(socket)).once('error', reject)
          })
          const closed = new Promise<void>(resolve => connection.once('close', () => resolve()))
          connection.on('error', () => undefined)

          parent.kill(signal)
          assert.equal(await parentExit, signal)
          await closed
          for (const child of children) await waitFor(`process ${child} to be gone`, () => isGone(child))
        } finally {
          if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL')
          for (const child of started?.children ?? []) if (isRunning(child)) process.kill(child, 'SIGKILL')
        }
      })
    }

    it('spawns the binary of the platform package npm installed, and fails with Unavailable when there is none', async () => {
      assert.equal(anvilPlatformPackage('linux', 'x64'), '@foundry-rs/anvil-linux-amd64')
      assert.equal(anvilPlatformPackage('darwin', 'arm64'), '@foundry-rs/anvil-darwin-arm64')
      assert.equal(anvilPlatformPackage('linux', 'ia32'), undefined)
      assert.match(anvilBinaryPath(), /node_modules\/@foundry-rs\/anvil-[a-z0-9]+-[a-z0-9]+\/bin\/anvil(\.exe)?$/)
      const missing = new DevChain({}, { binaryPath: join(tmpdir(), 'agora-no-such-anvil') })
      await assert.rejects(missing.start(), (err: unknown) => err instanceof ChainError && err.code === 'Unavailable')
      assert.equal(missing.isStarted(), false)
    })

    it('refuses options it cannot honour before it spawns anything', () => {
      const bad = (init: ConstructorParameters<typeof DevChain>[1]) => () => new DevChain({}, init)
      const isBadRequest = (err: unknown) => err instanceof ChainError && err.code === 'BadRequest'
      assert.throws(bad({ port: 70_000 }), isBadRequest)
      assert.throws(bad({ port: 1.5 }), isBadRequest)
      assert.throws(bad({ stateIntervalSeconds: 0 }), isBadRequest)
      assert.throws(bad({ blockTimeSeconds: -1 }), isBadRequest)
      assert.throws(bad({ blockTimeSeconds: 1, noMining: true }), isBadRequest)
    })
  })
})

/** The state letter of a process in /proc (R running, S sleeping, T stopped, …). */
async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}
