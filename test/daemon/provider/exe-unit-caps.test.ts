import assert from 'node:assert/strict'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'

const P = '/agora-api/v1/provider'
// More than the exe-unit grants by default (8 threads, 8 GiB across its activities).
const BIG_MACHINE = { threads: 64, cpuModel: 'Big CPU', architecture: 'x86_64', memoryGib: 256, diskGib: 500 }

describe('provider agent: caps within what the exe-unit grants', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let node: TestNode

  before(async () => {
    node = await cluster.start({ provider: { machine: async () => BIG_MACHINE } })
  })
  after(async () => {
    await cluster.stop()
  })

  it("defaults a big machine's caps to the exe-unit's limits, so an offer never promises an activity it would refuse", async () => {
    const settings = await node.client.expect<{ cores: number; memoryGib: number }>(200, 'GET', `${P}/settings`)
    assert.ok(settings.cores >= 1 && settings.cores <= 8, `cores ${settings.cores}`)
    assert.ok(settings.memoryGib > 0 && settings.memoryGib <= 8, `memory ${settings.memoryGib}`)
  })

  it('refuses a cap beyond the exe-unit limits and keeps the settings', async () => {
    const before = await node.client.expect(200, 'GET', `${P}/settings`)
    await node.client.expect(400, 'PATCH', `${P}/settings`, { memoryGib: 9 })
    await node.client.expect(400, 'PATCH', `${P}/settings`, { cores: 9 })
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/settings`), before)
  })
})
