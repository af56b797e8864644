import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agora, reapChildren } from '../../helpers/agora-process.ts'
import type { Result } from '../../helpers/agora-process.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'

const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }

describe('agora provider', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let dir: string
  let node: TestNode

  async function provider(args: string[]): Promise<Result> {
    return await agora(['provider', ...args, '--data-dir', node.dataDir])
  }
  async function json<T = any>(args: string[]): Promise<T> {
    const result = await provider([...args, '--json'])
    assert.equal(result.code, 0, `agora provider ${args.join(' ')}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-provider-cli-'))
    node = await cluster.start({
      configure: config => {
        config.modules.provider = { offer: true }
      },
      provider: {
        machine: async () => MACHINE,
        runtimes: async () => [{ name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }]
      }
    })
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await cluster.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('says to start the daemon when none runs, and refuses bad options with exit code 2', async () => {
    const none = await agora(['provider', 'settings', 'show', '--data-dir', join(dir, 'none')])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /start the daemon/)
    const bad = await provider(['settings', 'set', '--cores', 'two'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--cores: "two" is not a whole number/)
    const negative = await provider(['settings', 'set', '--env-per-hour', '-1'])
    assert.equal(negative.code, 2)
    const group = await agora(['provider', 'settings'])
    assert.equal(group.code, 2)
    assert.match(group.stderr, /agora provider settings <show\|set>/)
  })

  it('shows and sets settings and prices, refusing a bad value whole with the setting named', async () => {
    const shown = await json<{ settings: { cores: number }; presets: Array<{ name: string }> }>(['settings', 'show'])
    assert.equal(shown.settings.cores, 2)
    const refused = await provider(['settings', 'set', '--cores', '3', '--max-agreements', '7'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /cores must be at most 2, the machine's threads/)
    assert.notEqual((await json(['settings', 'show'])).settings.maxAgreements, 7)

    const set = await json(['settings', 'set', '--cores', '1', '--memory', '2.5', '--debit-note-interval', '60:90:600', '--cpu-per-hour', '0.3'])
    assert.equal(set.cores, 1)
    assert.equal(set.memoryGib, 2.5)
    assert.deepEqual(set.debitNoteInterval, { minSec: 60, preferredSec: 90, maxSec: 600 })
    const presets = await json<Array<{ pricing: { cpuPerHour: string } }>>(['preset', 'list'])
    assert.ok(presets.length > 0 && presets.every(p => p.pricing.cpuPerHour === '0.3'))

    await json(['settings', 'set', '--preset', 'wasmtime', '--starting-fee', '0.001'])
    const after = await json<Array<{ name: string; pricing: { startingFee: string } }>>(['preset', 'list'])
    assert.equal(after.find(p => p.name === 'wasmtime')?.pricing.startingFee, '0.001')
    assert.equal(after.find(p => p.name === 'vm')?.pricing.startingFee, '0')
    const text = await provider(['settings', 'show'])
    assert.match(text.stdout, /^cores\s+1$/m)
    assert.match(text.stdout, /^wasmtime\s+wasmtime\s+0\.001\s+0\.02\s+0\.3$/m)
  })

  it('creates, updates and removes presets, and the status lists the offers live', async () => {
    const created = await json(['preset', 'create', 'fast', '--runtime', 'wasmtime', '--cpu-per-hour', '0.5'])
    assert.deepEqual(created, { name: 'fast', runtime: 'wasmtime', pricing: { startingFee: '0', envPerHour: '0.02', cpuPerHour: '0.5' } })
    const duplicate = await provider(['preset', 'create', 'fast', '--runtime', 'wasmtime'])
    assert.equal(duplicate.code, 1)
    assert.match(duplicate.stderr, /a preset named fast exists/)
    const updated = await json(['preset', 'update', 'fast', '--env-per-hour', '0.04'])
    assert.equal(updated.pricing.envPerHour, '0.04')
    const status = await json<{
      offers: Array<{ preset: string; pricing: { cpuPerHour: string; envPerHour: string } }>
      unpublished: Array<{ preset: string }>
    }>(['status'])
    const fast = status.offers.find(o => o.preset === 'fast')
    assert.deepEqual(fast?.pricing, { startingFee: '0', envPerHour: '0.04', cpuPerHour: '0.5' })
    assert.deepEqual(
      status.unpublished.map(u => u.preset),
      ['vm']
    )
    await json(['preset', 'remove', 'fast'])
    const missing = await provider(['preset', 'remove', 'fast'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no preset fast/)
    const text = await provider(['status'])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^OFFER\s+PRESET/m)
    assert.match(text.stdout, /^vm\s+runtime vm is not served by this node/m)
    assert.doesNotMatch(text.stdout, /fast/)
  })
})
