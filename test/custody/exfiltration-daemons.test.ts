// The exfiltration matrix's core over real daemons: a provider daemon with a
// dataset registered by its custody module, a policy file in force, and a
// requester daemon that creates the activity and sends the batch over
// loopback libp2p. The daemon's own grants (registry, policy judge, audit log)
// refuse the copy of the data, a copied row (by the registry's fingerprints), the transfer from /data and the logs, cut the
// exit code, release an aggregate, and audit all of it in the hash chain.
import assert from 'node:assert/strict'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatasetPolicy, DatasetRegistry } from '../../custody/index.ts'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import { publishModule, startFileServer, tempDir } from '../exe-unit/helpers.ts'
import type { FileServer } from '../exe-unit/helpers.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { PATIENTS_CSV } from './granted-unit.ts'
import { FD, OFLAGS, RIGHTS, WasiProgram } from './wasi-program.ts'

const API = '/activity-api/v1'
const DATASET = 'patients'

describe('custody: the exfiltration matrix over real daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let custody: CustodyModule
  let files: FileServer
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true }
    }
  }

  /** Saved as an editor saves it; resolves once the judge has it in force. */
  const savePolicy = async (policy: DatasetPolicy): Promise<void> => {
    const judge = custody.policies
    const text = JSON.stringify(policy)
    const inForce = new Promise<void>(resolve => {
      const unsubscribe = judge.onChange(dataset => {
        if (dataset === DATASET && JSON.stringify(judge.policy(DATASET)) === text) {
          unsubscribe()
          resolve()
        }
      })
    })
    const aside = join(judge.dir, `.${DATASET}.json.tmp`)
    await writeFile(aside, text)
    await rename(aside, judge.fileOf(DATASET))
    await inForce
  }

  const results = async (activityId: string, batchId: string): Promise<any[]> => {
    for (;;) {
      const listed = await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?timeout=30`)
      if (listed.at(-1)?.isBatchFinished === true) return listed
    }
  }

  let sourceDir: string | undefined
  before(async () => {
    provider = await cluster.start(allowLoopback)
    requester = await cluster.start(allowLoopback)
    files = await startFileServer()
    custody = provider.modules.find(module => module.name === 'custody') as CustodyModule
    sourceDir = await tempDir()
    const source = join(sourceDir, 'patients.csv')
    await writeFile(source, PATIENTS_CSV)
    await (custody.datasets as DatasetRegistry).add({ name: DATASET, source: { kind: 'csv', path: source } })
  })
  after(async () => {
    await cluster.stop()
    await files?.close()
    if (sourceDir !== undefined) await rm(sourceDir, { recursive: true, force: true })
  })

  it('refuses the copy, a copied row, the transfer from /data and the logs, cuts the exit code, releases the aggregate, and audits it all', async () => {
    const program = new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 })
      .read({ slot: 0 })
      .writeBuffer(1)
      .open(FD.out, 'copy.csv', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeBuffer({ slot: 1 })
      .open(FD.out, 'mean.json', { slot: 2, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeText({ slot: 2 }, '{"kind":"aggregate","rows":12,"values":{"age.mean":35.5}}')
      .open(FD.out, 'keys.json', { slot: 3, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeText({ slot: 3 }, JSON.stringify({ kind: 'histogram', cells: [{ key: PATIENTS_CSV.split('\n')[4], count: 10 }] }))
    const bytes = await program.build(7)
    const taskPackage = await publishModule(files, 'matrix', bytes)
    const hash = taskPackage.split(':').slice(1, 3).join(':')
    await savePolicy({
      dataset: DATASET,
      algorithms: { hashes: [hash] },
      requesters: [requester.nodeId],
      output: { maxBytes: 4096, minRows: 10, kinds: ['aggregate', 'histogram'], logs: 'none', exitCodes: 'status' }
    })
    const dataTerms = { 'agora.data.name': DATASET }
    const { agreementId } = await approvedAgreement(provider, requester, {
      offerExtra: { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, ...dataTerms },
      demandExtra: { 'golem.srv.comp.task_package': taskPackage, ...dataTerms }
    })
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    try {
      const script = [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'matrix', args: [] } }]
      const ran = await results(
        activityId,
        await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
      )
      const run = ran[2]
      assert.equal(run.result, 'Error')
      assert.equal(run.stdout, undefined)
      assert.match(run.message, /exited with code 1/)
      const transfers = [
        { transfer: { from: 'container:/out/copy.csv', to: 'container:/work/copy.csv' } },
        { transfer: { from: 'container:/data/data.csv', to: 'container:/work/data.csv' } },
        { transfer: { from: 'container:/out/keys.json', to: 'container:/work/keys.json' } },
        { transfer: { from: 'container:/out/mean.json', to: 'container:/work/mean.json' } }
      ]
      const sent = await Promise.all(
        transfers.map(
          async command =>
            (
              await results(
                activityId,
                await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([command]) })
              )
            )[0]
        )
      )
      assert.deepEqual(
        sent.map(result => result.result),
        ['Error', 'Error', 'Error', 'Ok']
      )
      assert.match(sent[0].message, /copy of a dataset file/)
      assert.match(sent[1].message, /only files of \/out/)
      assert.doesNotMatch(JSON.stringify([ran, sent]), /condition-|SW1A/)
      const audited = await custody.audit.list({ dataset: DATASET })
      const mine = audited.filter(entry => entry.activityId === activityId)
      assert.deepEqual(
        mine.map(entry => [entry.kind, entry.kind === 'refusal' || entry.kind === 'release' ? entry.reasons?.[0]?.rule : entry.allow]),
        [
          ['decision', true],
          ['run', undefined],
          ['refusal', 'output.copiedFile'],
          ['refusal', 'output.copiedRows'],
          ['release', 'output.kinds']
        ]
      )
      assert.equal(mine[1]?.detail?.exitCode, 7)
      assert.deepEqual(await custody.audit.verify(), { ok: true, entries: (await custody.audit.list()).length })
    } finally {
      await requester.client.call('DELETE', `${API}/activity/${activityId}`)
    }
  })
})
