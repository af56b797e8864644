// Output far beyond what a capture keeps: the provider holds only the bounded
// head and tail (the WASI worker waits while the runtime catches up, rather
// than queueing everything it writes), and the result shows where it was cut.
import assert from 'node:assert/strict'
import { cutMarker } from '../../exe-unit/activity/capture.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, uniqueId, wasmProperties, writerModule } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

const BLOCK = 64 * 1024
// 2 GiB: well past the few hundred MiB of garbage the collector may leave behind a flood of output.
const REPEATS = 32768
const WRITTEN = BLOCK * REPEATS
const KEPT = 1024 * 1024

describe('exe-unit output beyond the capture limit', function () {
  this.timeout(120_000)
  let server: FileServer
  let unit: TestExeUnit

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit({ limits: { maxCaptureBytes: KEPT } })
  })
  after(async () => {
    await unit?.close()
    await server?.close()
  })

  it(`keeps ${KEPT} bytes of ${WRITTEN} written, cut with a marker, in bounded memory`, async () => {
    const taskPackage = await publishModule(server, 'flood', await writerModule({ to: 'stdout', blockBytes: BLOCK, repeats: REPEATS }))
    const activityId = uniqueId('flood')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(taskPackage) })
    await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 10)
    let result
    try {
      ;[result] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: 'flood', args: [] } }], 100_000)
    } finally {
      clearInterval(sampler)
    }
    assert.equal(result?.result, 'Ok', result?.message)
    const cut = WRITTEN - KEPT
    assert.equal(result?.stdout, `${'x'.repeat(KEPT / 2)}${cutMarker(cut)}${'x'.repeat(KEPT / 2)}`)
    assert.equal(result?.message, `stdout: ${cut} bytes beyond the capture limit were cut`)
    // Far less than what was written: a few MiB in flight, the kept bytes, and
    // the garbage a flood leaves until the collector catches up (265–360 MiB
    // here, whether 512 MiB or 2 GiB were written); a capture that kept what it
    // was given would grow by all of it.
    assert.ok(peak - baseline < WRITTEN / 2, `RSS grew by ${Math.round((peak - baseline) / 2 ** 20)} MiB while ${WRITTEN / 2 ** 20} MiB were written`)
  })
})
