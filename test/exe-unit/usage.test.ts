import assert from 'node:assert/strict'
import { UsageMeter } from '../../exe-unit/usage/usage-meter.ts'

const GIB = 1024 ** 3

describe('exe-unit usage counters', () => {
  it('counts duration from creation, CPU seconds and peak memory in GiB', () => {
    const meter = new UsageMeter(['golem.usage.duration_sec'], Date.now() - 2500)
    meter.update({ cpuSec: 1.5, peakMemoryBytes: GIB / 4 })
    const counters = meter.counters()
    assert.ok(Math.abs((counters['golem.usage.duration_sec'] ?? 0) - 2.5) < 0.2, JSON.stringify(counters))
    assert.equal(counters['golem.usage.cpu_sec'], 1.5)
    assert.equal(counters['golem.usage.gib'], 0.25)
  })

  it('never lets a counter go down, whatever the runtime reports', () => {
    const meter = new UsageMeter([])
    meter.update({ cpuSec: 3, peakMemoryBytes: GIB })
    meter.update({ cpuSec: 1, peakMemoryBytes: GIB / 2 })
    assert.equal(meter.counters()['golem.usage.cpu_sec'], 3)
    assert.equal(meter.counters()['golem.usage.gib'], 1)
  })

  it('orders the vector as the agreement names it, with 0 for counters not measured', () => {
    const meter = new UsageMeter(['golem.usage.gib', 'golem.usage.storage_gib', 'golem.usage.cpu_sec'], Date.now())
    meter.update({ cpuSec: 2, peakMemoryBytes: GIB / 2 })
    const { currentUsage, timestamp } = meter.vector()
    assert.deepEqual(currentUsage, [0.5, 0, 2])
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 2)
  })

  it('freezes when stopped', async () => {
    const meter = new UsageMeter(['golem.usage.duration_sec', 'golem.usage.cpu_sec'], Date.now() - 1000)
    meter.stop()
    const frozen = meter.vector()
    meter.update({ cpuSec: 9, peakMemoryBytes: GIB })
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.deepEqual(meter.vector(), frozen)
    assert.equal(meter.counters()['golem.usage.cpu_sec'], 0)
  })
})
