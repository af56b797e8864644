// The provider's caps: activities, memory and threads reserved together; a
// request beyond them is refused at once with a clear error, and what a
// terminated activity held is given back.
import assert from 'node:assert/strict'
import Docker from 'dockerode'
import { ExeUnitError } from '../../exe-unit/index.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, uniqueId, wasmProperties } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

function refusedWith(code: string, pattern: RegExp): (error: unknown) => boolean {
  return error => {
    assert.ok(error instanceof ExeUnitError, String(error))
    assert.equal(error.code, code)
    assert.match(error.message, pattern)
    return true
  }
}

describe('exe-unit capacity', () => {
  let server: FileServer
  let unit: TestExeUnit
  let hello: string

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit({ limits: { maxActivities: 2, maxMemoryGib: 0.25, maxThreads: 3, maxQueuedBatches: 1 } })
    hello = await publishModule(server, 'hello')
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  async function create(activityId: string, extra: Record<string, unknown> = {}): Promise<void> {
    await unit.exeUnit.createActivity({ activityId, agreementId: `ag-${activityId}`, requesterId: 'r', properties: wasmProperties(hello, extra) })
  }

  it('refuses an activity beyond the most activities at once, and takes one after a destroy', async () => {
    const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')]
    await create(a)
    await create(b)
    await assert.rejects(create(c), refusedWith('CapacityExceeded', /no capacity for activity .*: 2 of 2 activities are running/))
    assert.throws(() => unit.exeUnit.getState(c), refusedWith('NotFound', /no activity/), 'a refused activity leaves nothing behind')
    await unit.exeUnit.destroy(a, 'test over')
    await create(c)
    await unit.exeUnit.destroy(b, 'test over')
    await unit.exeUnit.destroy(c, 'test over')
  })

  it('refuses an activity asking for more memory or threads than are free', async () => {
    const first = uniqueId('mem')
    await create(first, { 'golem.inf.mem.gib': 0.125, 'golem.inf.cpu.threads': 2 })
    await assert.rejects(
      create(uniqueId('mem'), { 'golem.inf.mem.gib': 0.25 }),
      refusedWith('CapacityExceeded', /asks for 0\.25 GiB of memory, 0\.125 GiB are free/)
    )
    await assert.rejects(create(uniqueId('threads'), { 'golem.inf.cpu.threads': 2 }), refusedWith('CapacityExceeded', /asks for 2 threads, 1 are free/))
    await unit.exeUnit.destroy(first, 'test over')
    const whole = uniqueId('whole')
    await create(whole, { 'golem.inf.mem.gib': 0.25, 'golem.inf.cpu.threads': 3 })
    await unit.exeUnit.destroy(whole, 'test over')
  })

  it('refuses bad requests before reserving anything', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'golem.runtime.name': 'qemu' }, /runtime qemu is not offered here \(wasmtime\)/],
      [{ 'golem.inf.mem.gib': -1 }, /golem\.inf\.mem\.gib must be a positive number/],
      [{ 'golem.inf.cpu.threads': 1.5 }, /golem\.inf\.cpu\.threads must be a whole number/],
      [{ 'golem.srv.comp.task_package': '' }, /golem\.srv\.comp\.task_package must be a non-empty string/],
      [{ 'golem.com.usage.vector': 'x' }, /golem\.com\.usage\.vector must be a list/]
    ]
    for (const [extra, pattern] of cases) await assert.rejects(create(uniqueId('bad'), extra), refusedWith('BadRequest', pattern))
    await assert.rejects(create('bad id!'), refusedWith('BadRequest', /activityId must be/))
    const taken = uniqueId('dup')
    await create(taken)
    await assert.rejects(create(taken), refusedWith('Conflict', /already exists/))
    await unit.exeUnit.destroy(taken, 'test over')
    // All of it was given back: both slots are free.
    const [x, y] = [uniqueId('x'), uniqueId('y')]
    await create(x)
    await create(y)
    await unit.exeUnit.destroy(x, 'test over')
    await unit.exeUnit.destroy(y, 'test over')
  })

  it('refuses a batch beyond the queue bound of an activity', async () => {
    const activityId = uniqueId('queue')
    await create(activityId)
    await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    // The first batch runs at once; one more may wait; the third is refused.
    unit.exeUnit.exec(activityId, [{ run: { entry_point: 'hello' } }])
    unit.exeUnit.exec(activityId, [{ run: { entry_point: 'hello' } }])
    assert.throws(() => unit.exeUnit.exec(activityId, [{ run: { entry_point: 'hello' } }]), refusedWith('CapacityExceeded', /already has 1 batches waiting/))
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('reports a runtime whose engine does not answer as unavailable and refuses activities on it', async () => {
    const broken = await startExeUnit({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) })
    try {
      const vm = broken.exeUnit.runtimes().find(r => r.name === 'vm')
      assert.equal(vm?.available, false)
      assert.match(vm?.error ?? '', /ENOENT|connect/)
      await assert.rejects(
        broken.exeUnit.createActivity({
          activityId: uniqueId('vm'),
          agreementId: 'a',
          requesterId: 'r',
          properties: { 'golem.runtime.name': 'vm', 'golem.srv.comp.task_package': 'docker:x' }
        }),
        refusedWith('Conflict', /runtime vm is unavailable/)
      )
      assert.deepEqual(
        broken.exeUnit.runtimes().find(r => r.name === 'wasmtime'),
        { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
      )
    } finally {
      await broken.close()
    }
  })
})
