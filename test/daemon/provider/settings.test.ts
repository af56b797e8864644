import assert from 'node:assert/strict'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'

const P = '/agora-api/v1/provider'
const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
/** The free disk moves as a test says. */
let freeDiskGib = MACHINE.diskGib
const machine = { machine: async () => ({ ...MACHINE, diskGib: freeDiskGib }) }

describe('provider agent: settings and presets', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let node: TestNode

  before(async () => {
    node = await cluster.start({ provider: machine })
  })
  after(async () => {
    await cluster.stop()
  })

  it("defaults a fresh node's caps to the machine's, less a margin, with a wasmtime and a vm preset", async () => {
    const settings = await node.client.expect(200, 'GET', `${P}/settings`)
    assert.equal(settings.cores, 2)
    assert.ok(settings.memoryGib > 0 && settings.memoryGib <= 7)
    assert.ok(settings.diskGib > 0 && settings.diskGib <= 48)
    assert.equal(settings.offering, true)
    const presets = await node.client.expect<Array<{ name: string; runtime: string }>>(200, 'GET', `${P}/presets`)
    assert.deepEqual(
      presets.map(p => [p.name, p.runtime]),
      [
        ['wasmtime', 'wasmtime'],
        ['vm', 'vm']
      ]
    )
  })

  it('refuses bad values whole, naming the setting, and writes nothing', async () => {
    const before = await node.client.expect(200, 'GET', `${P}/settings`)
    const cases: Array<[unknown, RegExp]> = [
      [{ maxAgreements: 5, cores: 3 }, /cores must be at most 2, the machine's threads/],
      [{ memoryGib: 9 }, /memory must be at most 8 GiB/],
      [{ diskGib: 51 }, /disk must be at most 50 GiB/],
      [{ cores: 0 }, /cores/],
      [{ debitNoteInterval: { minSec: 600, maxSec: 60 } }, /debitNoteInterval: minSec \(600\) must not be more than maxSec \(60\)/],
      [{ acceptTimeout: { preferredSec: 5 } }, /acceptTimeout: preferredSec \(5\)/],
      [{ allowRequesters: ['0xnot-an-id'] }, /allowRequesters/],
      [{ offering: 'yes' }, /offering/],
      [{ pricing: { envPerHour: '-1' } }, /envPerHour/],
      [{ pricing: { cpuPerHour: '1e-3' } }, /cpuPerHour/],
      [{ cores: 1, unknownSetting: 1 }, /unknownSetting/]
    ]
    for (const [body, message] of cases) {
      const reply = await node.client.call('PATCH', `${P}/settings`, body)
      assert.equal(reply.status, 400, JSON.stringify(body))
      assert.match(reply.body.message, message)
    }
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/settings`), before)
    const presets = await node.client.expect<Array<{ pricing: { envPerHour: string } }>>(200, 'GET', `${P}/presets`)
    assert.ok(presets.every(p => p.pricing.envPerHour === '0.02'))
  })

  it('changes what is valid, and pricing in every preset at once', async () => {
    const id = '0x00000000000000000000000000000000000000aa'
    const settings = await node.client.expect(200, 'PATCH', `${P}/settings`, {
      cores: 1,
      denyRequesters: [id.toUpperCase().replace('0X', '0x')],
      pricing: { cpuPerHour: '0.25' }
    })
    assert.equal(settings.cores, 1)
    assert.deepEqual(settings.denyRequesters, [id])
    const presets = await node.client.expect<Array<{ pricing: { cpuPerHour: string; envPerHour: string } }>>(200, 'GET', `${P}/presets`)
    assert.ok(presets.every(p => p.pricing.cpuPerHour === '0.25' && p.pricing.envPerHour === '0.02'))
  })

  it('holds only the settings a change sets to the machine as it is now: a cap set when the disk had more room stays', async () => {
    await node.client.expect(200, 'PATCH', `${P}/settings`, { diskGib: 40 })
    freeDiskGib = 10
    try {
      const changed = await node.client.expect(200, 'PATCH', `${P}/settings`, { maxAgreements: 3, pricing: { envPerHour: '0.03' } })
      assert.equal(changed.diskGib, 40)
      assert.equal(changed.maxAgreements, 3)
      const refused = await node.client.call('PATCH', `${P}/settings`, { diskGib: 20 })
      assert.equal(refused.status, 400)
      assert.match(refused.body.message, /disk must be at most 10 GiB, the free disk of the data dir/)
    } finally {
      freeDiskGib = MACHINE.diskGib
    }
  })

  it('creates, updates and removes presets (names unique), and keeps them across a restart', async () => {
    const created = await node.client.expect(201, 'POST', `${P}/presets`, {
      name: 'cheap-wasm',
      runtime: 'wasmtime',
      pricing: { startingFee: '0', envPerHour: '0.01', cpuPerHour: '0.05' }
    })
    assert.equal(created.name, 'cheap-wasm')
    const again = await node.client.call('POST', `${P}/presets`, created)
    assert.equal(again.status, 409)
    const badName = await node.client.call('POST', `${P}/presets`, { ...created, name: 'Bad Name' })
    assert.equal(badName.status, 400)
    const badPrice = await node.client.call('PUT', `${P}/presets/cheap-wasm`, { pricing: { startingFee: '0.1.2' } })
    assert.equal(badPrice.status, 400)
    assert.match(badPrice.body.message, /startingFee/)
    const updated = await node.client.expect(200, 'PUT', `${P}/presets/cheap-wasm`, { pricing: { startingFee: '0.001' } })
    assert.deepEqual(updated.pricing, { startingFee: '0.001', envPerHour: '0.01', cpuPerHour: '0.05' })
    assert.equal((await node.client.call('PUT', `${P}/presets/nothing-here`, { runtime: 'vm' })).status, 404)
    await node.client.expect(204, 'DELETE', `${P}/presets/vm`)
    assert.equal((await node.client.call('DELETE', `${P}/presets/vm`)).status, 404)

    const dataDir = node.dataDir
    const expected = await node.client.expect(200, 'GET', `${P}/presets`)
    const settings = await node.client.expect(200, 'GET', `${P}/settings`)
    await node.stop()
    node = await cluster.start({ dataDir, provider: machine })
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/presets`), expected)
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/settings`), settings)
  })

  it('allows removing the last preset; then a restart does not bring the defaults back', async () => {
    for (const preset of await node.client.expect<Array<{ name: string }>>(200, 'GET', `${P}/presets`)) {
      await node.client.expect(204, 'DELETE', `${P}/presets/${preset.name}`)
    }
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/presets`), [])
    const dataDir = node.dataDir
    await node.stop()
    node = await cluster.start({ dataDir, provider: machine })
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/presets`), [])
  })
})
