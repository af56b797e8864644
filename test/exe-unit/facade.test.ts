// The ExeUnit facade as the REST layer, the network protocol and payments use it.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { ActivityUsageSource, UsageEvent } from '../../exe-unit/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { waitFor } from '../helpers/wait.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, wasmProperties } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

describe('exe-unit facade', () => {
  let server: FileServer
  let unit: TestExeUnit
  let hello: string

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit({ usageIntervalMs: 50 })
    hello = await publishModule(server, 'hello')
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  it('names an activity when the caller does not, and reads nested properties', async () => {
    const info = await unit.exeUnit.createActivity({
      agreementId: 'agreement-nested',
      requesterId: '0xabc',
      properties: {
        golem: {
          runtime: { name: 'wasmtime' },
          srv: { comp: { task_package: hello } },
          inf: { mem: { gib: 0.0625 }, cpu: { threads: 1 } }
        },
        'golem.com.usage.vector': ['golem.usage.duration_sec']
      }
    })
    assert.match(info.activityId, /^[0-9a-f]{32}$/)
    assert.equal(info.agreementId, 'agreement-nested')
    assert.equal(info.requesterId, '0xabc')
    assert.equal(info.runtime, 'wasmtime')
    const results = await runBatch(unit.exeUnit, info.activityId, [...DEPLOY_START, { run: { entry_point: 'hello' } }])
    assert.equal(results[2]?.stdout, 'hello\n')
    assert.equal((await unit.exeUnit.getUsage(info.activityId)).currentUsage.length, 1)
    await unit.exeUnit.destroy(info.activityId, 'test over')
  })

  it('lets payments read usage by agreement, live and after the end', async () => {
    const payments: ActivityUsageSource = unit.exeUnit
    const events: UsageEvent[] = []
    const listener = (event: UsageEvent): void => {
      if (event.agreementId === 'agreement-paid') events.push(event)
    }
    payments.on('usage', listener)
    try {
      const a = await unit.exeUnit.createActivity({ agreementId: 'agreement-paid', requesterId: 'r', properties: wasmProperties(hello) })
      const b = await unit.exeUnit.createActivity({ agreementId: 'agreement-paid', requesterId: 'r', properties: wasmProperties(hello) })
      await unit.exeUnit.createActivity({ agreementId: 'agreement-other', requesterId: 'r', properties: wasmProperties(hello) })
      assert.deepEqual(
        payments
          .listActivities({ agreementId: 'agreement-paid' })
          .map(i => i.activityId)
          .sort(),
        [a.activityId, b.activityId].sort()
      )
      // A periodic report past 0.1 s: the final one below is checked against that duration.
      const periodicPast = (seconds: number): boolean =>
        events.some(e => e.activityId === a.activityId && !e.final && (e.counters['golem.usage.duration_sec'] ?? 0) > seconds)
      await waitFor('a periodic usage report past 0.1 s', () => periodicPast(0.1))
      assert.ok(
        events.some(e => e.activityId === a.activityId && !e.final),
        'periodic reports arrive'
      )
      await unit.exeUnit.destroy(a.activityId, 'agreement ended')
      await new Promise(resolve => setImmediate(resolve))
      const final = events.find(e => e.activityId === a.activityId && e.final)
      assert.ok(final !== undefined, 'a final report arrives')
      assert.deepEqual(await payments.usage(a.activityId), final.counters)
      assert.ok((final.counters['golem.usage.duration_sec'] ?? 0) > 0.1)
      assert.equal(final.usage.currentUsage.length, 3)
      assert.deepEqual(unit.exeUnit.getActivity(a.activityId).state.state, ['Terminated', null])
    } finally {
      payments.off('usage', listener)
    }
  })
})

describe('exe-unit facade: periodic usage reports on the injected clock', () => {
  let server: FileServer
  let unit: TestExeUnit
  const clock = new ManualClock()

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit({ usageIntervalMs: 10_000, clock })
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  it('reports each live activity once an interval has passed on the clock, and not before', async () => {
    const hello = await publishModule(server, 'hello')
    const events: UsageEvent[] = []
    const listener = (event: UsageEvent): void => {
      events.push(event)
    }
    unit.exeUnit.on('usage', listener)
    try {
      const { activityId } = await unit.exeUnit.createActivity({ agreementId: 'agreement-clocked', requesterId: 'r', properties: wasmProperties(hello) })
      clock.advance(9_999)
      await new Promise(resolve => setImmediate(resolve))
      assert.deepEqual(events, [], 'no report before the interval')
      const reported = once(unit.exeUnit, 'usage')
      clock.advance(1)
      const [event] = (await reported) as [UsageEvent]
      assert.equal(event.activityId, activityId)
      assert.equal(event.final, false)
      assert.equal(event.counters['golem.usage.duration_sec'], 10, 'the duration is the clock’s')
      await unit.exeUnit.destroy(activityId, 'test over')
    } finally {
      unit.exeUnit.off('usage', listener)
    }
  })
})
