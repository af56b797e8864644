// The background usage sampler on a manual clock: reads cost no measurement,
// measurements advance with the clock, never overlap, survive failures, and
// stop for good when the activity ends.
import assert from 'node:assert/strict'
import type { Logger } from '../../net/index.ts'
import type { RuntimeUsage } from '../../exe-unit/runtime/runtime.ts'
import { UsageSampler } from '../../exe-unit/usage/usage-sampler.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const INTERVAL = 2000

/** A logger that keeps what it is told. */
function recordingLogger(): Logger & { lines: { level: string; object: object; message: string | undefined }[] } {
  const lines: { level: string; object: object; message: string | undefined }[] = []
  const at =
    (level: string) =>
    (object: object | string, message?: string): void => {
      lines.push(typeof object === 'string' ? { level, object: {}, message: object } : { level, object, message })
    }
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger }
  return logger
}

/** A measurement the test answers when it chooses. */
interface Pending {
  resolve: (usage: RuntimeUsage) => void
  reject: (error: Error) => void
}

/** A reader whose every measurement waits for the test to answer it. */
function controlledReader(): { read: () => Promise<RuntimeUsage>; pending: Pending[]; calls: () => number } {
  const pending: Pending[] = []
  let calls = 0
  return {
    pending,
    calls: () => calls,
    read: () => {
      calls++
      return new Promise<RuntimeUsage>((resolve, reject) => pending.push({ resolve, reject }))
    }
  }
}

/** Lets the sampler's promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
}

function answer(reader: ReturnType<typeof controlledReader>, usage: RuntimeUsage): void {
  const next = reader.pending.shift()
  assert.ok(next !== undefined, 'a measurement is in flight')
  next.resolve(usage)
}

describe('exe-unit background usage sampler', () => {
  it('serves reads from the last measurement and measures again only as the clock advances', async () => {
    const clock = new ManualClock()
    let measured = 0
    let cpu = 0
    const sampler = new UsageSampler(
      async () => {
        measured++
        cpu += 1.5
        return { cpuSec: cpu, peakMemoryBytes: 1000 * measured }
      },
      { clock, logger: recordingLogger() },
      { intervalMs: INTERVAL }
    )
    assert.deepEqual(sampler.latest(), { cpuSec: 0, peakMemoryBytes: 0 }, 'nothing measured before start')
    sampler.start()
    await settle()
    assert.equal(measured, 1, 'start measures at once')
    for (let i = 0; i < 100; i++) assert.deepEqual(sampler.latest(), { cpuSec: 1.5, peakMemoryBytes: 1000 })
    assert.equal(measured, 1, 'a hundred reads measured nothing')
    assert.deepEqual(clock.pending(), [clock.now() + INTERVAL], 'the next measurement waits one interval')

    clock.advance(INTERVAL - 1)
    await settle()
    assert.equal(measured, 1, 'not before the interval has passed')
    clock.advance(1)
    await settle()
    assert.equal(measured, 2)
    assert.deepEqual(sampler.latest(), { cpuSec: 3, peakMemoryBytes: 2000 })
    await sampler.stop()
  })

  it('never starts a measurement while one is in flight, however far the clock moves or however often it is asked', async () => {
    const clock = new ManualClock()
    const reader = controlledReader()
    const sampler = new UsageSampler(reader.read, { clock, logger: recordingLogger() }, { intervalMs: INTERVAL })
    sampler.start()
    assert.equal(reader.calls(), 1)
    clock.advance(10 * INTERVAL)
    sampler.soon()
    sampler.soon()
    await settle()
    assert.equal(reader.calls(), 1, 'still the one measurement')
    assert.deepEqual(clock.pending(), [], 'no timer runs while a measurement is in flight')

    answer(reader, { cpuSec: 1, peakMemoryBytes: 10 })
    await settle()
    // Asked for while in flight: one more, right after, then the interval again.
    assert.equal(reader.calls(), 2)
    answer(reader, { cpuSec: 2, peakMemoryBytes: 20 })
    await settle()
    assert.equal(reader.calls(), 2)
    assert.deepEqual(clock.pending(), [clock.now() + INTERVAL])
    assert.deepEqual(sampler.latest(), { cpuSec: 2, peakMemoryBytes: 20 })
    await sampler.stop()
  })

  it('keeps the last reading when a measurement fails, logs it, and goes on measuring', async () => {
    const clock = new ManualClock()
    const logger = recordingLogger()
    const reader = controlledReader()
    const sampler = new UsageSampler(reader.read, { clock, logger }, { intervalMs: INTERVAL })
    sampler.start()
    answer(reader, { cpuSec: 4, peakMemoryBytes: 400 })
    await settle()
    clock.advance(INTERVAL)
    const failed = reader.pending.shift()
    failed?.reject(new Error('stats: connection refused'))
    await settle()
    assert.deepEqual(sampler.latest(), { cpuSec: 4, peakMemoryBytes: 400 }, 'the last reading stands')
    const warned = logger.lines.filter(line => line.level === 'warn')
    assert.equal(warned.length, 1)
    assert.match(warned[0]?.message ?? '', /usage measurement failed/)
    const logged = (warned[0]?.object ?? {}) as { err?: Error }
    assert.match(String(logged.err?.message), /connection refused/)

    clock.advance(INTERVAL)
    assert.equal(reader.calls(), 3, 'measuring goes on after a failure')
    answer(reader, { cpuSec: 5, peakMemoryBytes: 300 })
    await settle()
    assert.deepEqual(sampler.latest(), { cpuSec: 5, peakMemoryBytes: 400 }, 'counters never go down: the peak stays')
    await sampler.stop()
  })

  it('measures nothing after stop, and waits for the measurement in flight', async () => {
    const clock = new ManualClock()
    const reader = controlledReader()
    const sampler = new UsageSampler(reader.read, { clock, logger: recordingLogger() }, { intervalMs: INTERVAL })
    sampler.start()
    let stopped = false
    const stopping = sampler.stop().then(() => {
      stopped = true
    })
    await settle()
    assert.equal(stopped, false, 'stop waits for the measurement in flight')
    answer(reader, { cpuSec: 1, peakMemoryBytes: 1 })
    await stopping
    assert.deepEqual(sampler.latest(), { cpuSec: 1, peakMemoryBytes: 1 }, 'what was in flight still counts')
    assert.deepEqual(clock.pending(), [], 'no timer is left behind')
    clock.advance(100 * INTERVAL)
    sampler.soon()
    sampler.start()
    await settle()
    assert.equal(reader.calls(), 1, 'nothing measured after stop')
  })

  it('finishes with one fresh measurement after the one in flight, and none after it', async () => {
    const clock = new ManualClock()
    const reader = controlledReader()
    const sampler = new UsageSampler(reader.read, { clock, logger: recordingLogger() }, { intervalMs: INTERVAL })
    sampler.start()
    const finishing = sampler.finish()
    await settle()
    assert.equal(reader.calls(), 1, 'the final measurement does not overlap the one in flight')
    answer(reader, { cpuSec: 1, peakMemoryBytes: 100 })
    await settle()
    assert.equal(reader.calls(), 2, 'then the final one')
    answer(reader, { cpuSec: 7, peakMemoryBytes: 50 })
    assert.deepEqual(await finishing, { cpuSec: 7, peakMemoryBytes: 100 })
    assert.deepEqual(await sampler.finish(), { cpuSec: 7, peakMemoryBytes: 100 }, 'a second finish measures nothing')
    clock.advance(100 * INTERVAL)
    await settle()
    assert.equal(reader.calls(), 2)
    assert.deepEqual(clock.pending(), [])
  })

  it('refuses an interval that is not a positive number', () => {
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new UsageSampler(async () => ({ cpuSec: 0, peakMemoryBytes: 0 }), { clock: new ManualClock(), logger: recordingLogger() }, { intervalMs }),
        /intervalMs must be a positive number/
      )
    }
  })
})
