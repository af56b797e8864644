// Usage on the "wasmtime" runtime: reads serve the last measurement, and a
// long run's CPU time is measured in the background as the injected clock
// advances, while it still runs; the counters end with a final measurement.
import assert from 'node:assert/strict'
import { publishModule, runBatch, DEPLOY_START, startExeUnit, startFileServer, uniqueId, wasmProperties } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { waitFor } from '../helpers/wait.ts'

const SAMPLE_MS = 2000
// The exe-unit's periodic usage report runs on the same clock, far enough out that no advance here reaches it.
const REPORT_MS = 1000 * SAMPLE_MS

describe('exe-unit wasmtime runtime usage (node:wasi)', () => {
  let server: FileServer
  let unit: TestExeUnit
  let clock: ManualClock
  /** The measurements scheduled on the clock (the periodic report, REPORT_MS out, is not one). */
  const measurements = (): number[] => clock.pending().filter(at => at <= clock.now() + SAMPLE_MS)
  let loop: string

  before(async () => {
    server = await startFileServer()
    clock = new ManualClock(Date.now())
    // The endless loop is ended by destroy, long before this limit.
    unit = await startExeUnit({ clock, usageSampleMs: SAMPLE_MS, usageIntervalMs: REPORT_MS, limits: { runTimeoutMs: 120_000 } })
    loop = await publishModule(server, 'loop')
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  async function cpu(activityId: string): Promise<number> {
    return (await unit.exeUnit.usage(activityId))['golem.usage.cpu_sec'] ?? 0
  }

  it('measures a running command on the clock, not on reads, and ends with a final measurement', async () => {
    const activityId = uniqueId('wasm-usage')
    await unit.exeUnit.createActivity({ activityId, agreementId: `ag-${activityId}`, requesterId: 'r', properties: wasmProperties(loop) })
    await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    unit.exeUnit.exec(activityId, [{ run: { entry_point: 'loop', args: [] } }])
    await waitFor('the loop to run', () => unit.exeUnit.runningCommand(activityId).length === 1)
    await waitFor('the measurement at start to be scheduled again', () => measurements().length === 1)

    // The module spins all along: a read that measured would see its CPU time grow.
    const first = await cpu(activityId)
    for (let i = 0; i < 50; i++) assert.equal(await cpu(activityId), first, 'reads serve the last measurement')

    // Each interval the clock passes measures once; the loop's worker may still be starting at the first.
    await waitFor("the running loop's CPU time in the usage", async () => {
      if ((await cpu(activityId)) > first) return true
      if (measurements().length === 1) clock.advance(SAMPLE_MS)
      return false
    })
    assert.equal(unit.exeUnit.runningCommand(activityId).length, 1, 'measured while the command still runs')
    const running = await cpu(activityId)

    await unit.exeUnit.destroy(activityId, 'test over')
    const final = await cpu(activityId)
    assert.ok(final >= running, `counters never go down: ${running} then ${final}`)
    clock.advance(100 * SAMPLE_MS)
    assert.equal(await cpu(activityId), final, 'nothing is measured after the end')
    assert.deepEqual(measurements(), [], 'no measurement is left scheduled')
  })
})
