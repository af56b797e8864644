// Activity records on a real LevelDB: an exe-unit that stops without closing
// (a crash) leaves its activities' records behind; the next one reads them as
// Terminated, "provider restarted", with the usage last written, and skips a
// record it cannot read without failing to start.
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { silentLogger } from '../../net/index.ts'
import { PROVIDER_RESTARTED } from '../../exe-unit/index.ts'
import type { RecordStore } from '../../exe-unit/index.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, tempDir, uniqueId, wasmProperties } from './helpers.ts'
import type { FileServer } from './helpers.ts'

// The LevelDB itself is the store, as the daemon's sublevel is.
function storeOf(db: Level<string, unknown>): RecordStore {
  return db as unknown as RecordStore
}

describe('exe-unit activity records', function () {
  this.timeout(180_000)
  let server: FileServer
  let dir: string

  before(async () => {
    server = await startFileServer()
    dir = await tempDir()
  })
  after(async () => {
    await server?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('ends the activities a crash left live as "provider restarted", keeping their last usage', async () => {
    const location = join(dir, 'db')
    const taskPackage = await publishModule(server, 'hello')
    const first = new Level<string, unknown>(location, { valueEncoding: 'json' })
    const crashed = await startExeUnit({ store: storeOf(first) })
    const activityId = uniqueId('crash')
    // Mixed case, as records of earlier versions hold the checksum form of node ids: loaded in lowercase.
    await crashed.exeUnit.createActivity({ activityId, agreementId: 'agreement-1', requesterId: '0xReQuester', properties: wasmProperties(taskPackage) })
    await runBatch(crashed.exeUnit, activityId, [...DEPLOY_START, { run: { entry_point: 'hello', args: [] } }])
    const usage = await crashed.exeUnit.getUsage(activityId)
    // A bad record next to the good one must not stop the next start.
    await first.put('activity:broken', { activityId: 'broken', state: 'nonsense' })
    // Everything the exe-unit wrote so far is on disk; then the process "dies": its store goes away under it.
    await first.close()

    const second = new Level<string, unknown>(location, { valueEncoding: 'json' })
    const warnings: unknown[] = []
    const restarted = await startExeUnit({
      store: storeOf(second),
      logger: {
        ...silentLogger,
        warn: (details: unknown) => {
          warnings.push(details)
        }
      }
    })
    try {
      assert.deepEqual(restarted.exeUnit.getState(activityId), { state: ['Terminated', null], reason: PROVIDER_RESTARTED })
      const after = await restarted.exeUnit.getUsage(activityId)
      assert.equal(after.currentUsage[0], usage.currentUsage[0], 'cpu seconds')
      assert.equal(after.currentUsage[2], usage.currentUsage[2], 'peak memory')
      assert.ok((after.currentUsage[2] as number) > 0)
      assert.deepEqual(
        restarted.exeUnit.listActivities().map(a => [a.activityId, a.agreementId, a.requesterId]),
        [[activityId, 'agreement-1', '0xrequester']]
      )
      assert.deepEqual(warnings, [
        { key: 'activity:broken', quarantinedAs: '~quarantine:activity:broken', reason: 'stored activity at /state: must be object' }
      ])
      assert.deepEqual(await second.get('~quarantine:activity:broken'), { activityId: 'broken', state: 'nonsense' }, 'set aside, not lost')
      assert.throws(() => restarted.exeUnit.exec(activityId, JSON.stringify([{ deploy: {} }])), { code: 'Conflict' })
    } finally {
      await restarted.close()
      await crashed.close()
      await second.close()
    }
    // The new end is itself on disk: a third start reads it the same.
    const third = new Level<string, unknown>(location, { valueEncoding: 'json' })
    const again = await startExeUnit({ store: storeOf(third) })
    try {
      assert.deepEqual(again.exeUnit.getState(activityId), { state: ['Terminated', null], reason: PROVIDER_RESTARTED })
    } finally {
      await again.close()
      await third.close()
    }
  })

  it('undoes a creation it cannot record, giving its capacity back', async () => {
    const taskPackage = await publishModule(server, 'hello')
    let full = true
    const records = new Map<string, unknown>()
    const store: RecordStore = {
      put: async (key, value) => {
        if (full) throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' })
        records.set(key, value)
      },
      del: async key => {
        records.delete(key)
      },
      iterator: async function* () {}
    }
    const unit = await startExeUnit({ store, limits: { maxActivities: 1 } })
    try {
      await assert.rejects(
        unit.exeUnit.createActivity({ activityId: 'unrecorded', agreementId: 'a', requesterId: 'r', properties: wasmProperties(taskPackage) }),
        (err: any) => err.code === 'InsufficientStorage' && !/No space|IO error/.test(err.message)
      )
      assert.deepEqual(unit.exeUnit.listActivities(), [])
      full = false
      const created = await unit.exeUnit.createActivity({ activityId: 'recorded', agreementId: 'a', requesterId: 'r', properties: wasmProperties(taskPackage) })
      assert.equal(created.activityId, 'recorded')
      assert.deepEqual([...records.keys()], ['activity:recorded'])
    } finally {
      await unit.close()
    }
  })
})
