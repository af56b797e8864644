// The storage an agreement names (golem.inf.storage.gib) bounds what an
// activity puts in its work directory: WASI writes past it fail with ENOSPC
// and the command's result names the limit; transfers into the volumes stop
// at the room left, leaving no partial file.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { diskUsage } from '../../exe-unit/usage/disk-usage.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, uniqueId, wasmProperties, writerModule } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

const LIMIT_GIB = 0.01
const LIMIT_BYTES = Math.floor(LIMIT_GIB * 1024 ** 3)
const BLOCK = 256 * 1024

describe('exe-unit storage limit (wasmtime)', function () {
  this.timeout(180_000)
  let server: FileServer
  let unit: TestExeUnit

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit()
  })
  after(async () => {
    await unit?.close()
    await server?.close()
  })

  async function ready(repeats: number): Promise<{ activityId: string; workDir: string }> {
    const taskPackage = await publishModule(server, `writer-${repeats}`, await writerModule({ to: { file: 'out.bin' }, blockBytes: BLOCK, repeats }))
    const activityId = uniqueId('storage')
    await unit.exeUnit.createActivity({
      activityId,
      agreementId: 'a',
      requesterId: 'r',
      properties: wasmProperties(taskPackage, { 'golem.inf.storage.gib': LIMIT_GIB })
    })
    await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    return { activityId, workDir: join(unit.dataDir, 'activities', activityId, 'work') }
  }

  it('fails a WASI command writing past the limit with an error result naming it, and the disk holds no more', async () => {
    const { activityId, workDir } = await ready(64)
    const [result] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: 'writer', args: [] } }])
    assert.equal(result?.result, 'Error')
    assert.match(result?.message ?? '', /storage limit of 0\.01 GiB \(golem\.inf\.storage\.gib\) is reached/)
    // The module saw ENOSPC (errno 51) and exited with it.
    assert.match(result?.message ?? '', /exited with code 51|ENOSPC/)
    assert.ok((await diskUsage(workDir)) <= LIMIT_BYTES, `${await diskUsage(workDir)} bytes on disk`)
  })

  it('lets a command write within the limit', async () => {
    const { activityId, workDir } = await ready(8)
    const [result] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: 'writer', args: [] } }])
    assert.equal(result?.result, 'Ok', result?.message)
    assert.ok((await diskUsage(workDir)) >= 8 * BLOCK)
    // Overwriting the same file again and again stays within it: only what lies on disk counts.
    for (let i = 0; i < 6; i++) {
      const [again] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: 'writer', args: [] } }])
      assert.equal(again?.result, 'Ok', again?.message)
    }
  })

  it('stops a transfer into the work directory at the room left, naming the limit', async () => {
    const { activityId, workDir } = await ready(1)
    server.files.set('/big.bin', Buffer.alloc(LIMIT_BYTES + 1024 * 1024, 1))
    server.files.set('/small.bin', Buffer.alloc(1024 * 1024, 2))
    const [big] = await runBatch(unit.exeUnit, activityId, [{ transfer: { from: `${server.url}big.bin`, to: 'container:/work/big.bin' } }])
    assert.equal(big?.result, 'Error')
    assert.match(big?.message ?? '', /storage limit of 0\.01 GiB \(golem\.inf\.storage\.gib\) is reached/)
    assert.deepEqual((await readdir(workDir)).sort(), [])
    const [small] = await runBatch(unit.exeUnit, activityId, [{ transfer: { from: `${server.url}small.bin`, to: 'container:/work/small.bin' } }])
    assert.equal(small?.result, 'Ok', small?.message)
  })
})
