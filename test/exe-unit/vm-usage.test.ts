// Usage on the "vm" runtime, on a real Docker engine: reading usage or state
// never calls Docker's stats (every call the exe-unit makes to the engine is
// counted on the Docker client it is given); measurements happen at start, as
// the injected clock advances and after each command; the counters end with a
// final measurement at destroy and nothing is measured after it. A command's
// result does not wait for a stats call either, though the exe-unit records
// the activity's usage after every command.
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import { Level } from 'level'
import type { RecordStore } from '../../exe-unit/index.ts'
import { dockerUp, TEST_IMAGE, vmProperties } from './docker.ts'
import { DEPLOY_START, runBatch, startExeUnit, tempDir, uniqueId } from './helpers.ts'
import type { TestExeUnit } from './helpers.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { waitFor } from '../helpers/wait.ts'

const SAMPLE_MS = 2000
// The exe-unit's periodic usage report runs on the same clock, far enough out that no advance here reaches it.
const REPORT_MS = 1000 * SAMPLE_MS
const VECTOR = ['golem.usage.duration_sec', 'golem.usage.cpu_sec', 'golem.usage.gib']

interface CountingDocker {
  docker: Docker
  statsCalls: () => number
  /** Stats requests made while held wait here until released. */
  held: (() => void)[]
  hold: (on: boolean) => void
}

/** A real Docker client that counts the stats requests made through it, and can hold them back. */
function countingDocker(): CountingDocker {
  const docker = new Docker()
  let calls = 0
  let holding = false
  const held: (() => void)[] = []
  const modem = docker.modem as unknown as { dial: (options: { path?: string }, callback: unknown) => unknown }
  const dial = modem.dial.bind(modem)
  modem.dial = (options, callback) => {
    if (!/^\/containers\/[^/]+\/stats/.test(options.path ?? '')) return dial(options, callback)
    calls++
    if (!holding) return dial(options, callback)
    held.push(() => dial(options, callback))
    return undefined
  }
  return {
    docker,
    statsCalls: () => calls,
    held,
    hold: on => {
      holding = on
      if (!on) for (const release of held.splice(0)) release()
    }
  }
}

describe('exe-unit vm runtime usage (Docker)', function () {
  this.timeout(180_000)
  let unit: TestExeUnit
  let counted: CountingDocker
  let clock: ManualClock
  /** The measurements scheduled on the clock (the periodic report, REPORT_MS out, is not one). */
  const measurements = (): number[] => clock.pending().filter(at => at <= clock.now() + SAMPLE_MS)

  before(async function () {
    this.timeout(300_000)
    await dockerUp()
    counted = countingDocker()
    clock = new ManualClock(Date.now())
    unit = await startExeUnit({ docker: counted.docker, clock, usageSampleMs: SAMPLE_MS, usageIntervalMs: REPORT_MS })
  })

  after(async () => {
    await unit?.close()
  })

  async function counters(activityId: string): Promise<{ cpu: number; gib: number }> {
    const usage = await unit.exeUnit.usage(activityId)
    return { cpu: usage['golem.usage.cpu_sec'] ?? 0, gib: usage['golem.usage.gib'] ?? 0 }
  }

  it('serves usage and state reads from the last measurement, measures on the clock and after commands, and ends with a final one', async () => {
    const activityId = uniqueId('vm-usage')
    await unit.exeUnit.createActivity({
      activityId,
      agreementId: `ag-${activityId}`,
      requesterId: 'r',
      properties: vmProperties(`docker:${TEST_IMAGE}`, { 'golem.com.usage.vector': VECTOR })
    })
    const started = await runBatch(unit.exeUnit, activityId, DEPLOY_START, 30_000)
    assert.deepEqual(
      started.map(r => r.result),
      ['Ok', 'Ok'],
      JSON.stringify(started)
    )
    // The container is measured once at start; its memory shows when that measurement lands.
    await waitFor('the measurement at start', async () => (await counters(activityId)).gib > 0)
    assert.equal(counted.statsCalls(), 1, 'one measurement at start')

    const reading = await unit.exeUnit.getUsage(activityId)
    for (let i = 0; i < 50; i++) {
      const usage = await unit.exeUnit.getUsage(activityId)
      assert.deepEqual(usage.currentUsage.slice(1), reading.currentUsage.slice(1), 'the same measurement is served')
      assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Ready', null])
    }
    assert.equal(counted.statsCalls(), 1, 'fifty usage and state reads called Docker stats no time')

    await waitFor('the next measurement scheduled on the clock', () => measurements().length === 1)
    assert.equal(measurements()[0], clock.now() + SAMPLE_MS)
    clock.advance(SAMPLE_MS - 1)
    assert.equal(counted.statsCalls(), 1, 'not before the interval')
    clock.advance(1)
    await waitFor('a measurement once the clock reaches the interval', () => counted.statsCalls() === 2)

    // A command that burns CPU: measured right after it, without the clock moving.
    const before = await counters(activityId)
    const [spin] = await runBatch(unit.exeUnit, activityId, [
      { run: { entry_point: '/bin/sh', args: ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'] } }
    ])
    assert.equal(spin?.result, 'Ok', JSON.stringify(spin))
    await waitFor('the CPU time of the command in the usage', async () => (await counters(activityId)).cpu > before.cpu + 0.1)
    const afterCommand = await counters(activityId)

    const callsBeforeDestroy = counted.statsCalls()
    await unit.exeUnit.destroy(activityId, 'test over')
    assert.ok(counted.statsCalls() > callsBeforeDestroy, 'destroy measured once more before the container went')
    const final = await counters(activityId)
    assert.ok(final.cpu >= afterCommand.cpu, `counters never go down: ${JSON.stringify({ afterCommand, final })}`)
    assert.ok(final.gib >= afterCommand.gib)

    const callsAtEnd = counted.statsCalls()
    clock.advance(100 * SAMPLE_MS)
    await unit.exeUnit.getUsage(activityId)
    assert.equal(counted.statsCalls(), callsAtEnd, 'nothing is measured after the activity ended')
    assert.deepEqual(await counters(activityId), final, 'the final counters stay')
    assert.deepEqual(measurements(), [], 'no measurement is left scheduled')
  })

  it('answers a command without waiting for a stats call, though the activity is recorded after every command', async () => {
    const dir = await tempDir()
    const db = new Level<string, unknown>(join(dir, 'db'), { valueEncoding: 'json' })
    const held = countingDocker()
    const recorded = await startExeUnit({
      docker: held.docker,
      clock: new ManualClock(Date.now()),
      usageSampleMs: SAMPLE_MS,
      store: db as unknown as RecordStore
    })
    try {
      const activityId = uniqueId('vm-held')
      await recorded.exeUnit.createActivity({
        activityId,
        agreementId: `ag-${activityId}`,
        requesterId: 'r',
        properties: vmProperties(`docker:${TEST_IMAGE}`, { 'golem.com.usage.vector': VECTOR })
      })
      // From here on Docker's stats never answers until released: the measurement at start stays in flight.
      held.hold(true)
      const results = await runBatch(recorded.exeUnit, activityId, [...DEPLOY_START, { run: { entry_point: '/bin/echo', args: ['answered'] } }], 30_000)
      assert.deepEqual(
        results.map(r => r.result),
        ['Ok', 'Ok', 'Ok'],
        JSON.stringify(results)
      )
      assert.equal(results[2]?.stdout, 'answered\n')
      assert.ok(held.held.length >= 1, 'a stats call was outstanding all along')
      assert.deepEqual(recorded.exeUnit.getState(activityId).state, ['Ready', null])
      await recorded.exeUnit.getUsage(activityId)
      held.hold(false)
      await recorded.exeUnit.destroy(activityId, 'test over')
    } finally {
      held.hold(false)
      await recorded.close()
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
