import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise, openPrivacyLedger } from '../../custody/index.ts'
import type { AuditEntry, AuditInput, AuditSink, PrivacyLedger, PrivacyPolicy } from '../../custody/index.ts'
import { Store } from '../../daemon/store/store.ts'
import type { RawRecordStore } from '../../net/kernel.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { fixedSum, secaggWorld, vectors } from './secagg-helpers.ts'
import type { SecaggWorld } from './secagg-helpers.ts'

/** Keeps what the ledger audits, in order. */
class RecordingAudit implements AuditSink {
  readonly entries: AuditInput[] = []
  async append(input: AuditInput): Promise<AuditEntry> {
    this.entries.push(input)
    return { ...input, seq: this.entries.length, at: new Date(0).toISOString(), prev: '0'.repeat(64), hash: '0'.repeat(64) }
  }
}

const POLICY: PrivacyPolicy = { mechanism: 'laplace', epsilonBudget: '1', epsilonPerQuery: '1', sensitivity: '1' }

describe('secure aggregation with privacy noise (3 owners, each spending ε on its own ledger)', function () {
  this.timeout(180_000)
  let dir: string
  let store: Store
  let ledger: PrivacyLedger
  let world: SecaggWorld

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-secagg-privacy-'))
    store = await Store.open(join(dir, 'db'))
    const db = store.sublevel('custody').sublevel<string, unknown>('privacy', { valueEncoding: 'json' }) as unknown as RawRecordStore
    ledger = await openPrivacyLedger({ db, audit: new RecordingAudit() })
    // One ledger serves the three owners here: each spends on its own dataset.
    world = await secaggWorld(3, new ManualClock(), { noise, ledger })
  })

  after(async () => {
    await world?.stop()
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('adds each owner’s noise before masking, spends its ε first, and refuses a query over the budget before sending anything', async () => {
    const participants = world.owners.map(owner => owner.host.nodeId)
    const first = world.aggregator.create({ participants, threshold: 2, length: 8, roundTimeoutMs: 60_000 })
    const inputs = vectors(3, 8, 5)
    const requesterId = world.aggregatorHost.nodeId
    await Promise.all(
      world.owners.map(
        async (owner, i) =>
          await owner.contributor.contribute({
            url: first.url,
            requesterId,
            dataset: `ds-${i}`,
            values: inputs[i]!,
            noise: POLICY,
            signal: AbortSignal.timeout(120_000)
          })
      )
    )
    const view = await world.aggregator.view(first.sessionId, 60_000)
    assert.equal(view.state, 'Done', view.error)
    for (let i = 0; i < 3; i++) assert.equal(ledger.spent(`ds-${i}`), '1')
    // Laplace noise of scale 2^16 (Δ₁ = 1, ε = 1, in units of 2^-16) on each of 8 values of 3 owners: never all zero in practice.
    const exact = fixedSum(inputs, 16).map(BigInt)
    const offsets = view.sumFixed!.map((value, i) => BigInt(value) - exact[i]!)
    assert.ok(
      offsets.some(offset => offset !== 0n),
      'no noise reached the sum'
    )
    // And it is noise of that scale, not garbage: every offset within 60 scales (a bound the noise passes but with odds below 1e-20).
    for (const offset of offsets) assert.ok(offset < 60n * 65536n && offset > -60n * 65536n, String(offset))
    const second = world.aggregator.create({ participants, threshold: 2, length: 8, roundTimeoutMs: 60_000 })
    await assert.rejects(
      world.owners[0]!.contributor.contribute({
        url: second.url,
        requesterId,
        dataset: 'ds-0',
        values: inputs[0]!,
        noise: POLICY,
        signal: AbortSignal.timeout(30_000)
      }),
      { code: 'Forbidden' }
    )
    assert.equal(world.aggregator.inspect(second.sessionId)!.round.received.size, 0)
    assert.equal(ledger.spent('ds-0'), '1')
  })
})
