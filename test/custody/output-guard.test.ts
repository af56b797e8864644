// The output guard on its own, over files in a temp dir: the rules the
// exfiltration matrix does not reach one by one (where results may go, a
// file judged by its size before it is read, CRLF rows, zero cells, UTF-8,
// a file that changed, bytes counted only for what was released).
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OutputGuard } from '../../custody/index.ts'
import type { DatasetPolicy, DatasetRecord } from '../../custody/index.ts'
import { tempDir } from '../exe-unit/helpers.ts'
import { PATIENTS_CSV } from './granted-unit.ts'
import { TestAudit, TestCatalog, csvDataset, testPolicy } from './helpers.ts'

describe('custody: the output guard', () => {
  let root: string
  let dataset: DatasetRecord
  let catalog: TestCatalog

  before(async () => {
    root = await tempDir()
    dataset = await csvDataset(root, 'patients', PATIENTS_CSV)
    catalog = new TestCatalog()
    catalog.add(dataset)
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  function guard(policy: DatasetPolicy = testPolicy('patients', [], { kinds: ['aggregate', 'histogram', 'text'] })): { guard: OutputGuard; audit: TestAudit } {
    const audit = new TestAudit()
    const context = { requesterId: 'r', agreementId: 'g', activityId: 'a' }
    return { guard: new OutputGuard({ dataset, policy, fingerprints: async () => await catalog.rowFingerprints('patients'), audit, context }), audit }
  }

  async function file(name: string, content: string | Buffer, bytes?: number) {
    const hostPath = join(root, name)
    await writeFile(hostPath, content)
    return { containerPath: `/out/${name}`, hostPath, bytes: bytes ?? Buffer.byteLength(content), destination: 'agora-requester:/x' }
  }

  async function refusedBy(check: Promise<unknown>, rule: string, audit: TestAudit): Promise<void> {
    await assert.rejects(check, (error: unknown) => (error as { code?: string }).code === 'Forbidden')
    assert.equal(audit.entries.at(-1)?.kind, 'refusal')
    assert.equal(audit.entries.at(-1)?.reasons?.[0]?.rule, rule)
  }

  it('refuses everything when the policy releases nothing to the requester', async () => {
    const { guard: g, audit } = guard({ ...testPolicy('patients', []), release: { to: ['0x0000000000000000000000000000000000000001'] } })
    await refusedBy(g.check(await file('a.json', '{"kind":"aggregate","rows":5,"values":{"m":1}}')), 'release.to', audit)
  })

  it('judges the size before reading: a file past the bound is refused though it cannot be read', async () => {
    const { guard: g, audit } = guard()
    const missing = { containerPath: '/out/big.json', hostPath: join(root, 'absent.json'), bytes: 5000, destination: 'agora-requester:/x' }
    await refusedBy(g.check(missing), 'output.maxBytes', audit)
    assert.equal(g.releasedBytes, 0)
  })

  it('counts only released bytes, and refuses a file whose size changed while checked', async () => {
    const { guard: g, audit } = guard()
    const aggregate = '{"kind":"aggregate","rows":5,"values":{"m":1}}'
    await g.check(await file('ok.json', aggregate))
    assert.equal(g.releasedBytes, Buffer.byteLength(aggregate))
    await refusedBy(g.check(await file('grew.json', aggregate, 10)), 'output.format', audit)
    assert.equal(g.releasedBytes, Buffer.byteLength(aggregate))
    assert.deepEqual(
      audit.entries.map(entry => entry.kind),
      ['release', 'refusal']
    )
  })

  it("finds a copied row with CRLF line ends, and lets zero cells and the algorithm's own lines pass", async () => {
    const { guard: g, audit } = guard()
    const row = PATIENTS_CSV.split('\n')[2]
    await refusedBy(g.check(await file('crlf.txt', `summary of the run\r\n${row}\r\n`)), 'output.copiedRows', audit)
    await g.check(await file('own.txt', 'summary of the run\r\nall rows were read\r\n'))
    const released = await g.check(await file('cells.json', '{"kind":"histogram","cells":[{"key":"a","count":0},{"key":"b","count":3}]}'))
    assert.equal(released.kind, 'histogram')
  })

  it('refuses text that is not UTF-8, and a vector of strings', async () => {
    const { guard: g, audit } = guard(testPolicy('patients', [], { kinds: ['text', 'vector'] }))
    await refusedBy(g.check(await file('bin.txt', Buffer.from([0xff, 0xfe, 0x00, 0x41]))), 'output.format', audit)
    await refusedBy(g.check(await file('v.json', '{"kind":"vector","rows":5,"values":["1"]}')), 'output.format', audit)
    const vector = await g.check(await file('w.json', '{"kind":"vector","rows":5,"values":[1,-2.5]}'), { toSecagg: true })
    assert.deepEqual(vector.values, [1, -2.5])
  })
})
