import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { dataDirPaths } from '../../daemon/index.ts'
import { reapChildren, startDaemon } from '../helpers/agora-process.ts'
import type { Daemon } from '../helpers/agora-process.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { adminCall, startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'

const run = promisify(execFile)
const M = '/market-api/v1'
const KEY = 'durability-test-app-key-01'

/** Writes zeros into `path` until the file system refuses with ENOSPC. */
async function fillDisk(path: string): Promise<void> {
  const file = await open(path, 'w')
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size)
      for (;;) {
        try {
          await file.write(chunk)
          await file.sync()
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
          throw err
        }
      }
    }
  } finally {
    await file.close().catch(() => {})
  }
}

describe('durability: what is acknowledged is on disk; a full disk is told as such', function () {
  // Two daemons started as processes: slow on a loaded machine, so the bound is generous.
  this.timeout(300_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-durability-'))
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  describe('kill -9 right after the answer', () => {
    const running: Daemon[] = []
    after(async () => {
      for (const daemon of running) {
        if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
          daemon.child.kill('SIGKILL')
          await daemon.exited
        }
      }
    })

    it('keeps the subscriptions and the app-key acknowledged just before SIGKILL', async () => {
      const dataDir = join(dir, 'killed')
      const first = await startDaemon(dataDir, { AGORA_APPKEY: KEY })
      running.push(first)
      const client = new MarketClient(first.url, KEY)
      const offerId = await client.subscribe('offer', { 'golem.inf.mem.gib': 2 }, '')
      const demandId = await client.subscribe('demand', { 'golem.srv.comp.expiration': Date.now() + 600_000 }, '')
      const created = await adminCall(dataDirPaths(dataDir).adminSocket, 'POST', '/app-keys', { name: 'second' })
      assert.equal(created.status, 201)
      first.child.kill('SIGKILL')
      await first.exited

      const again = await startDaemon(dataDir, { AGORA_APPKEY: KEY })
      running.push(again)
      const restarted = new MarketClient(again.url, KEY)
      assert.deepEqual(
        (await restarted.expect<any[]>(200, 'GET', `${M}/offers`)).map(o => o.offerId),
        [offerId]
      )
      assert.deepEqual(
        (await restarted.expect<any[]>(200, 'GET', `${M}/demands`)).map(d => d.demandId),
        [demandId]
      )
      const second = new MarketClient(again.url, created.body.key)
      assert.equal((await second.expect<{ name: string }>(200, 'GET', '/me')).name, 'second')
    })
  })

  describe('a full disk', () => {
    let mountPoint: string
    let mounted = false
    let node: ProbedNode | undefined

    before(async () => {
      mountPoint = join(dir, 'small-disk')
      await mkdir(mountPoint)
      await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint])
      mounted = true
    })
    after(async () => {
      await node?.stop().catch(() => {})
      // Lazily, so that the mount goes even if something still holds a file in it.
      if (mounted) await run('umount', ['-l', mountPoint])
    })

    it('answers 507 with a clear message and stores nothing, and starts again once there is room', async () => {
      const dataDir = join(mountPoint, 'node')
      node = await startProbedNode(dataDir)
      const kept = await node.client.subscribe('offer', { 'golem.inf.mem.gib': 1 }, '')
      const filler = join(mountPoint, 'filler')
      await fillDisk(filler)

      const body = { properties: { 'golem.inf.mem.gib': 2, 'agora.test.pad': 'x'.repeat(8000) }, constraints: '' }
      const refused = await node.client.call('POST', `${M}/offers`, body)
      assert.equal(refused.status, 507)
      assert.match(refused.body.message, /disk of this node is full: nothing was stored/)
      const key = await node.admin('POST', '/app-keys', { name: 'no-room' })
      assert.equal(key.status, 507)
      assert.match(key.body.message, /disk of this node is full/)
      assert.deepEqual(
        (await node.client.expect<any[]>(200, 'GET', `${M}/offers`)).map(o => o.offerId),
        [kept]
      )

      await node.stop()
      node = undefined
      await rm(filler)
      node = await startProbedNode(dataDir)
      assert.deepEqual(
        (await node.client.expect<any[]>(200, 'GET', `${M}/offers`)).map(o => o.offerId),
        [kept]
      )
      assert.deepEqual(
        (await node.admin('GET', '/app-keys')).body.map((k: { name: string }) => k.name),
        ['autoconf']
      )
      await node.client.subscribe('offer', body.properties, '')
    })
  })
})
