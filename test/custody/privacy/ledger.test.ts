import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EPSILON_BUDGET_RULE, PrivacyBudgetError, openPrivacyLedger } from '../../../custody/index.ts'
import type { AuditEntry, AuditInput, AuditSink, PrivacyLedger } from '../../../custody/index.ts'
import { Store } from '../../../daemon/store/store.ts'
import type { RawRecordStore } from '../../../net/kernel.ts'
import { CodedError } from '../../../net/kernel.ts'
import { ManualClock } from '../../helpers/manual-clock.ts'

/** Keeps what the ledger audits, in order. */
class RecordingAudit implements AuditSink {
  readonly entries: AuditInput[] = []
  async append(input: AuditInput): Promise<AuditEntry> {
    this.entries.push(input)
    return { ...input, seq: this.entries.length, at: new Date(0).toISOString(), prev: '0'.repeat(64), hash: '0'.repeat(64) }
  }
}

const requester = { requesterId: '0x1111111111111111111111111111111111111111', agreementId: 'agreement-1' }

describe('custody privacy ledger', function () {
  this.timeout(30_000)
  let dir: string
  let store: Store
  let audit: RecordingAudit
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'))

  const privacyDb = (): RawRecordStore => store.sublevel('custody').sublevel<string, unknown>('privacy', { valueEncoding: 'json' }) as unknown as RawRecordStore
  const open = async (): Promise<PrivacyLedger> => await openPrivacyLedger({ db: privacyDb(), audit, clock })

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-privacy-'))
    store = await Store.open(join(dir, 'db'))
    audit = new RecordingAudit()
  })

  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('adds ε exactly: ten spends of 0.1 are a budget of 1, not 0.9999999999999999', async () => {
    const ledger = await open()
    for (let i = 0; i < 10; i++) await ledger.spend('census', '0.1', '1', requester)
    assert.equal(ledger.spent('census'), '1')
    assert.notEqual(
      0.1 * 10,
      [...Array(10)].reduce(a => a + 0.1, 0),
      'floating point would not have been exact here'
    )
    await assert.rejects(ledger.spend('census', '0.000000000000000000000000000001', '1', requester), PrivacyBudgetError)
    assert.equal(ledger.spent('census'), '1')
    assert.equal(ledger.spent('other'), '0')
  })

  it('refuses a spend beyond the budget as Forbidden naming the rule and what is left, writing nothing', async () => {
    const ledger = await open()
    await ledger.spend('census', '0.7', '1', requester)
    const refused = await ledger.spend('census', '0.4', '1', requester).then(
      () => assert.fail('the spend was allowed'),
      (err: unknown) => err
    )
    assert.ok(refused instanceof PrivacyBudgetError)
    assert.ok(refused instanceof CodedError)
    assert.equal(refused.code, 'Forbidden')
    assert.equal(refused.rule, EPSILON_BUDGET_RULE)
    assert.equal(refused.left, '0.3')
    assert.match(refused.message, /privacy\.epsilonBudget/)
    assert.match(refused.message, /0\.3 left/)
    assert.equal(ledger.spent('census'), '0.7')
    // Nothing was written: a fresh ledger on the same store reads 0.7.
    assert.equal((await open()).spent('census'), '0.7')
    // What is left can still be spent.
    await ledger.spend('census', '0.3', '1', requester)
    assert.equal(ledger.spent('census'), '1')
  })

  it('audits every spend and every refusal', async () => {
    const ledger = await open()
    await ledger.spend('census', '0.25', '0.5', requester)
    await ledger.spend('census', '0.5', '0.5', { requesterId: requester.requesterId }).catch(() => {})
    assert.equal(audit.entries.length, 2)
    const [spent, refused] = audit.entries
    assert.deepEqual(spent, {
      kind: 'privacy-spent',
      dataset: 'census',
      requesterId: requester.requesterId,
      agreementId: 'agreement-1',
      allow: true,
      detail: { epsilon: '0.25', spent: '0.25', budget: '0.5', left: '0.25' }
    })
    assert.equal(refused?.kind, 'refusal')
    assert.equal(refused?.allow, false)
    assert.equal(refused?.reasons?.[0]?.rule, EPSILON_BUDGET_RULE)
    assert.deepEqual(refused?.detail, { epsilon: '0.5', spent: '0.25', budget: '0.5', left: '0.25' })
  })

  it('serialises concurrent spends, so the budget is never overspent', async () => {
    const ledger = await open()
    const outcomes = await Promise.allSettled(Array.from({ length: 25 }, () => ledger.spend('census', '0.1', '1', requester)))
    assert.equal(outcomes.filter(o => o.status === 'fulfilled').length, 10)
    const refused = outcomes.filter(o => o.status === 'rejected')
    assert.equal(refused.length, 15)
    assert.ok(refused.every(o => o.reason instanceof PrivacyBudgetError))
    assert.equal(ledger.spent('census'), '1')
    assert.equal((await open()).spent('census'), '1')
    assert.equal(audit.entries.filter(e => e.kind === 'privacy-spent').length, 10)
  })

  it('keeps what is spent across a restart of the store', async () => {
    const ledger = await open()
    await ledger.spend('census', '0.125', '2', requester)
    await ledger.spend('trials.2026', '1.5', '2', requester)
    await store.close()
    store = await Store.open(join(dir, 'db'))
    const reopened = await open()
    assert.equal(reopened.spent('census'), '0.125')
    assert.equal(reopened.spent('trials.2026'), '1.5')
    await assert.rejects(reopened.spend('trials.2026', '0.6', '2', requester), PrivacyBudgetError)
    await reopened.spend('trials.2026', '0.5', '2', requester)
    assert.equal(reopened.spent('trials.2026'), '2')
  })

  it('refuses malformed input with a BadRequest and changes nothing', async () => {
    const ledger = await open()
    const badRequest = (err: unknown): boolean => err instanceof CodedError && err.code === 'BadRequest'
    await assert.rejects(ledger.spend('census', '0', '1', requester), badRequest)
    await assert.rejects(ledger.spend('census', '1e-3', '1', requester), badRequest)
    await assert.rejects(ledger.spend('census', '-0.1', '1', requester), badRequest)
    await assert.rejects(ledger.spend('census', '0.1', 'lots', requester), badRequest)
    await assert.rejects(ledger.spend('Bad Name', '0.1', '1', requester), badRequest)
    assert.equal(ledger.spent('census'), '0')
    assert.equal(audit.entries.length, 0)
    assert.equal((await open()).spent('census'), '0')
  })

  it('sets a damaged record aside and refuses its dataset further spends rather than start it afresh', async () => {
    const db = privacyDb()
    await db.put('census', '{"dataset":"census","spent":"lots"}', { valueEncoding: 'utf8', sync: true })
    const ledger = await open()
    const refused = await ledger.spend('census', '0.1', '10', requester).catch((err: unknown) => err)
    assert.ok(refused instanceof PrivacyBudgetError)
    assert.equal(refused.left, '0')
    assert.match(refused.message, /damaged/)
    await ledger.spend('other', '0.1', '10', requester)
    assert.equal(ledger.spent('other'), '0.1')
    const keys: string[] = []
    for await (const [key] of db.iterator({ valueEncoding: 'utf8' })) keys.push(key)
    assert.equal(keys.length, 2)
    assert.ok(!keys.includes('census'))
  })
})
