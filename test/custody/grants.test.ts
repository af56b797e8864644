// The grants: custody decides at every activity on a dataset (again, with
// the policy in force then), before the exe-unit reserves anything; a
// refusal is Forbidden with the policy's reasons and is audited; a grant is
// closed however its activity ends; a vector sent to secure aggregation
// spends ε first and reaches the contributor only through the guard.
import assert from 'node:assert/strict'
import { CustodyGrants, algorithmHashOf } from '../../custody/index.ts'
import type { ActivityCustody, CustodyAdmission, CustodyGrant } from '../../exe-unit/index.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, tempDir, wasmProperties } from '../exe-unit/helpers.ts'
import { startGrantedUnit } from './granted-unit.ts'
import type { GrantedUnit } from './granted-unit.ts'
import { TestAudit, TestCatalog, TestJudge, csvDataset, testPolicy } from './helpers.ts'
import { FD, OFLAGS, RIGHTS, WasiProgram } from './wasi-program.ts'

function isForbidden(pattern: RegExp): (error: unknown) => boolean {
  return error => error instanceof Error && (error as { code?: string }).code === 'Forbidden' && pattern.test(error.message)
}

/** Counts the grants it hands out and closes, around the real grants. */
class CountingCustody implements ActivityCustody {
  admitted = 0
  closed = 0
  readonly #inner: ActivityCustody

  constructor(inner: ActivityCustody) {
    this.#inner = inner
  }

  async admit(admission: CustodyAdmission): Promise<CustodyGrant | null> {
    const grant = await this.#inner.admit(admission)
    if (grant === null) return null
    this.admitted++
    return {
      dataset: grant.dataset,
      dataDir: grant.dataDir,
      logs: grant.logs,
      exitCodes: grant.exitCodes,
      release: async (file, signal) => await grant.release(file, signal),
      contribute: async (file, signal) => await grant.contribute(file, signal),
      recordRun: run => grant.recordRun(run),
      close: async () => {
        this.closed++
        await grant.close()
      }
    }
  }
}

describe('custody: grants of a dataset to activities', function () {
  this.timeout(120_000)

  it('reads the algorithm hash from the task package, and nothing from a package without one', () => {
    assert.equal(algorithmHashOf(`hash:sha3:${'AB'.repeat(32)}:http://x/a.wasm`), `sha3:${'ab'.repeat(32)}`)
    assert.equal(algorithmHashOf('http://x/a.wasm'), null)
    assert.equal(algorithmHashOf(`hash:sha256:${'ab'.repeat(32)}:http://x/a.wasm`), null)
    assert.equal(algorithmHashOf(undefined), null)
  })

  it('refuses without a hash, an unknown dataset, a bad name or no policy, audited with the rule', async () => {
    const catalog = new TestCatalog()
    const audit = new TestAudit()
    const custody = new CustodyGrants({ catalog, judge: new TestJudge(), audit })
    const admission = (properties: Record<string, unknown>): CustodyAdmission => ({ activityId: 'a', agreementId: 'g', requesterId: 'r', properties })
    assert.equal(await custody.admit(admission({ 'golem.srv.comp.task_package': 'x' })), null)
    await assert.rejects(custody.admit(admission({ 'agora.data.name': 'Bad Name' })), isForbidden(/no valid dataset/))
    await assert.rejects(custody.admit(admission({ 'agora.data.name': 'absent' })), isForbidden(/no dataset absent/))
    catalog.add(await csvDataset(await tempDir(), 'present', 'a,b\n1,2\n'))
    await assert.rejects(
      custody.admit(admission({ 'agora.data.name': 'present', 'golem.srv.comp.task_package': 'http://x/a.wasm' })),
      isForbidden(/names no hash/)
    )
    const hashed = `hash:sha3:${'ab'.repeat(32)}:http://x/a.wasm`
    await assert.rejects(custody.admit(admission({ 'agora.data.name': 'present', 'golem.srv.comp.task_package': hashed })), isForbidden(/no policy/))
    assert.deepEqual(
      audit.entries.map(entry => [entry.kind, entry.allow, entry.reasons?.[0]?.rule]),
      [
        ['decision', false, 'dataset'],
        ['decision', false, 'dataset'],
        ['decision', false, 'algorithms'],
        ['decision', false, 'policy']
      ]
    )
  })

  it('refuses an agreement naming a dataset on an exe-unit without custody', async () => {
    const unit = await startExeUnit()
    const server = await startFileServer()
    try {
      const taskPackage = await publishModule(server, 'empty', await new WasiProgram().build())
      await assert.rejects(
        unit.exeUnit.createActivity({ agreementId: 'g', requesterId: 'r', properties: wasmProperties(taskPackage, { 'agora.data.name': 'patients' }) }),
        isForbidden(/keeps none/)
      )
      assert.deepEqual(unit.exeUnit.listActivities(), [])
    } finally {
      await unit.close()
      await server.close()
    }
  })

  describe('on a real exe-unit', () => {
    let granted: GrantedUnit
    let counting: CountingCustody | undefined

    before(async () => {
      granted = await startGrantedUnit(
        (dataset, hash) => testPolicy(dataset, [hash]),
        { limits: { maxActivities: 1 } },
        custody => {
          counting = new CountingCustody(custody)
          return counting
        }
      )
    })
    after(async () => {
      await granted?.close()
    })

    function counts(): { admitted: number; closed: number } {
      return { admitted: counting?.admitted ?? -1, closed: counting?.closed ?? -1 }
    }

    it('decides before reserving capacity, again at every activity, and counts the use', async () => {
      const program = new WasiProgram()
      const taskPackage = await granted.approve('decide', await program.build())
      const first = await granted.create(taskPackage)
      // The one activity slot is taken: a refused activity answers Forbidden, not CapacityExceeded.
      granted.judge.policies.set(granted.dataset.name, testPolicy(granted.dataset.name, ['sha3:00']))
      await assert.rejects(granted.create(taskPackage), isForbidden(/is not approved/))
      assert.deepEqual(counts(), { admitted: 1, closed: 0 })
      await granted.unit.exeUnit.destroy(first, 'done')
      assert.deepEqual(counts(), { admitted: 1, closed: 1 })
      // A capacity refusal after a grant closes that grant.
      const { hash } = { hash: taskPackage.split(':')[2] }
      granted.judge.policies.set(granted.dataset.name, testPolicy(granted.dataset.name, [`sha3:${hash}`]))
      const plain = await granted.unit.exeUnit.createActivity({ agreementId: 'plain', requesterId: 'r', properties: wasmProperties(taskPackage) })
      await assert.rejects(granted.create(taskPackage), (error: unknown) => (error as { code?: string }).code === 'CapacityExceeded')
      assert.deepEqual(counts(), { admitted: 2, closed: 2 })
      await granted.unit.exeUnit.destroy(plain.activityId, 'done')
      assert.equal(granted.judge.uses.get(granted.dataset.name), 2)
    })

    it('hands a vector to secure aggregation after spending ε, and refuses once the budget is spent', async () => {
      const program = new WasiProgram()
        .open(FD.out, 'partial.json', { slot: 0, oflags: OFLAGS.creat, rights: RIGHTS.all })
        .writeText({ slot: 0 }, '{"kind":"vector","rows":12,"values":[1.5,2,3]}')
        .open(FD.out, 'mean.json', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
        .writeText({ slot: 1 }, '{"kind":"aggregate","rows":12,"values":{"mean":2}}')
      const privacy = { mechanism: 'laplace', epsilonBudget: '1', epsilonPerQuery: '0.6', sensitivity: '1' } as const
      const taskPackage = await granted.approve('secagg', await program.build(), hash => testPolicy(granted.dataset.name, [hash], {}, { privacy }))
      const activityId = await granted.create(taskPackage)
      try {
        await runBatch(granted.unit.exeUnit, activityId, [...DEPLOY_START, { run: { entry_point: 'secagg', args: [] } }])
        const url = 'agora-secagg:0xaggregator/session-1'
        const [sent, again, notVector] = await runBatch(granted.unit.exeUnit, activityId, [
          { transfer: { from: 'container:/out/partial.json', to: url } },
          { transfer: { from: 'container:/out/partial.json', to: url } }
        ]).then(async results => [
          ...results,
          ...(await runBatch(granted.unit.exeUnit, activityId, [{ transfer: { from: 'container:/out/mean.json', to: url } }]))
        ])
        assert.equal(sent?.result, 'Ok', JSON.stringify(sent))
        assert.deepEqual(granted.contributor.contributions, [
          { url, requesterId: 'requester-1', dataset: granted.dataset.name, values: [1.5, 2, 3], noised: true }
        ])
        assert.equal(granted.ledger.spent(granted.dataset.name), '0.6')
        assert.equal(again?.result, 'Error')
        assert.match(again?.message ?? '', /budget/)
        assert.equal(notVector?.result, 'Error')
        assert.match(notVector?.message ?? '', /takes a vector/)
        assert.equal(granted.contributor.contributions.length, 1)
        assert.equal(granted.audit.of('contribution').length, 1)
      } finally {
        await granted.unit.exeUnit.destroy(activityId, 'done')
      }
    })

    it('closes the grant when the exe-unit closes with the activity live', async () => {
      const unit = await startGrantedUnit(
        (dataset, hash) => testPolicy(dataset, [hash]),
        {},
        custody => {
          counting = new CountingCustody(custody)
          return counting
        }
      )
      const taskPackage = await unit.approve('closing', await new WasiProgram().build())
      await unit.create(taskPackage)
      await unit.close()
      assert.deepEqual(counts(), { admitted: 1, closed: 1 })
    })
  })
})
