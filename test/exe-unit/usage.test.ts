import assert from 'node:assert/strict'
import type { Clock } from '../../exe-unit/index.ts'
import { UsageMeter } from '../../exe-unit/usage/usage-meter.ts'

const GIB = 1024 ** 3

/** A clock that moves only when told to. */
function manualClock(start = 1_700_000_000_000): Pick<Clock, 'now'> & { advance: (ms: number) => void } {
  let now = start
  return {
    now: () => now,
    advance: ms => {
      now += ms
    }
  }
}

describe('exe-unit usage counters', () => {
  it('counts duration from creation, CPU seconds and peak memory in GiB', () => {
    const clock = manualClock()
    const meter = new UsageMeter(['golem.usage.duration_sec'], clock)
    clock.advance(2500)
    meter.update({ cpuSec: 1.5, peakMemoryBytes: GIB / 4 })
    assert.deepEqual(meter.counters(), { 'golem.usage.duration_sec': 2.5, 'golem.usage.cpu_sec': 1.5, 'golem.usage.gib': 0.25 })
  })

  it('never lets a counter go down, whatever the runtime reports', () => {
    const meter = new UsageMeter([], manualClock())
    meter.update({ cpuSec: 3, peakMemoryBytes: GIB })
    meter.update({ cpuSec: 1, peakMemoryBytes: GIB / 2 })
    assert.equal(meter.counters()['golem.usage.cpu_sec'], 3)
    assert.equal(meter.counters()['golem.usage.gib'], 1)
  })

  it('orders the vector as the agreement names it, with 0 for counters not measured', () => {
    const clock = manualClock()
    const meter = new UsageMeter(['golem.usage.gib', 'golem.usage.storage_gib', 'golem.usage.cpu_sec'], clock)
    clock.advance(4000)
    meter.update({ cpuSec: 2, peakMemoryBytes: GIB / 2 })
    assert.deepEqual(meter.vector(), { currentUsage: [0.5, 0, 2], timestamp: Math.floor(clock.now() / 1000) })
  })

  it('freezes when stopped', () => {
    const clock = manualClock()
    const meter = new UsageMeter(['golem.usage.duration_sec', 'golem.usage.cpu_sec'], clock)
    clock.advance(1000)
    meter.stop()
    const frozen = meter.vector()
    assert.deepEqual(frozen.currentUsage, [1, 0])
    meter.update({ cpuSec: 9, peakMemoryBytes: GIB })
    clock.advance(60_000)
    assert.deepEqual(meter.vector(), frozen)
    assert.equal(meter.counters()['golem.usage.cpu_sec'], 0)
  })
})
