// A container granted a dataset on a real Docker engine: the dataset bound
// read-only at /data (root in the container cannot write it), /out bound from
// the activity, no network even when the agreement and the provider would
// grant it, and only files of /out leave, each through the grant.
import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { ActivityCustody, CustodyAdmission, CustodyGrant, OutputFile } from '../../exe-unit/index.ts'
import { containersLabelled, dockerUp, TEST_IMAGE, vmProperties } from './docker.ts'
import { DEPLOY_START, MemoryRequesterFiles, runBatch, startExeUnit, tempDir, uniqueId } from './helpers.ts'
import type { TestExeUnit } from './helpers.ts'

const DATA = 'id,value\n1,first row of the data\n2,second row of the data\n'

/** Grants one directory to every activity naming a dataset, and keeps what it was asked. */
class DirectoryCustody implements ActivityCustody {
  readonly released: OutputFile[] = []
  readonly runs: { command: string; exitCode: number }[] = []
  closed = 0
  readonly #dir: string

  constructor(dir: string) {
    this.#dir = dir
  }

  async admit(admission: CustodyAdmission): Promise<CustodyGrant | null> {
    if (admission.properties['agora.data.name'] === undefined) return null
    return {
      dataset: 'rows',
      dataDir: this.#dir,
      logs: 'full',
      exitCodes: 'full',
      release: async file => {
        this.released.push(file)
      },
      contribute: async () => {},
      recordRun: run => {
        this.runs.push(run)
      },
      close: async () => {
        this.closed++
      }
    }
  }
}

describe('exe-unit vm runtime: a dataset mounted read-only (Docker)', function () {
  this.timeout(180_000)
  let docker: Docker
  let unit: TestExeUnit
  let custody: DirectoryCustody
  let dataDir: string
  const requester = new MemoryRequesterFiles()

  before(async function () {
    this.timeout(300_000)
    docker = await dockerUp()
    dataDir = await tempDir()
    await writeFile(join(dataDir, 'data.csv'), DATA)
    custody = new DirectoryCustody(dataDir)
    unit = await startExeUnit({ docker, custody, requesterFiles: requester, allowContainerNetwork: true })
  })
  after(async () => {
    await unit?.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  it('binds /data read-only and /out, with no network, and lets only /out files leave through the grant', async () => {
    const activityId = uniqueId('vm-data')
    await unit.exeUnit.createActivity({
      activityId,
      agreementId: `ag-${activityId}`,
      requesterId: 'r',
      properties: vmProperties(`docker:${TEST_IMAGE}`, { 'agora.data.name': 'rows', 'agora.srv.net.inet': true })
    })
    try {
      const started = await runBatch(unit.exeUnit, activityId, DEPLOY_START, 60_000)
      assert.deepEqual(
        started.map(result => result.result),
        ['Ok', 'Ok'],
        JSON.stringify(started)
      )
      const [info] = await containersLabelled(docker, `agora.activity=${activityId}`)
      const inspected = await docker.getContainer(info?.Id ?? '').inspect()
      assert.equal(inspected.HostConfig.NetworkMode, 'none')
      assert.ok(inspected.HostConfig.Binds?.includes(`${dataDir}:/data:ro`), JSON.stringify(inspected.HostConfig.Binds))
      const script = [
        'cat /data/data.csv > /out/copy.csv',
        'echo planted > /data/new.txt 2>/dev/null && echo wrote-new',
        'echo changed >> /data/data.csv 2>/dev/null && echo appended',
        'rm -f /data/data.csv 2>/dev/null; test -f /data/data.csv || echo removed',
        'ip link 2>/dev/null | grep -c "state UP" || true',
        'echo done'
      ].join('; ')
      const [ran] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: '/bin/sh', args: ['-c', script] } }], 60_000)
      assert.equal(ran?.result, 'Ok', JSON.stringify(ran))
      assert.equal(ran?.stdout?.trim().split('\n').at(-1), 'done')
      assert.doesNotMatch(ran?.stdout ?? '', /wrote-new|appended|removed/)
      const [out, fromData] = await runBatch(unit.exeUnit, activityId, [
        { transfer: { from: 'container:/out/copy.csv', to: 'agora-requester:/copy.csv' } },
        { transfer: { from: 'container:/data/data.csv', to: 'agora-requester:/data.csv' } }
      ])
      assert.equal(out?.result, 'Ok', JSON.stringify(out))
      assert.equal(requester.files.get('agora-requester:/copy.csv')?.toString(), DATA)
      assert.deepEqual(
        custody.released.map(file => [file.containerPath, file.bytes, file.destination]),
        [['/out/copy.csv', Buffer.byteLength(DATA), 'agora-requester:/copy.csv']]
      )
      assert.equal(fromData?.result, 'Error')
      assert.match(fromData?.message ?? '', /only files of \/out/)
      assert.equal(custody.runs.length, 1)
      assert.deepEqual(await readdir(dataDir), ['data.csv'])
      assert.equal(await readFile(join(dataDir, 'data.csv'), 'utf8'), DATA)
    } finally {
      await unit.exeUnit.destroy(activityId, 'the test is done')
    }
    assert.equal(custody.closed, 1)
    assert.deepEqual(await containersLabelled(docker, `agora.activity=${activityId}`), [])
  })
})
