import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type Docker from 'dockerode'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { dockerUp, TEST_IMAGE } from './docker.ts'
import { buildWasm, sha3, tempDir } from './helpers.ts'

// Task packages served by the requester itself (`hash:sha3:<hex>:agora-requester:<name>`):
// the provider reads them over /agora/activity-files/1 from the agreement's
// requester only, within the package bound, and verifies the digest first.
describe('exe-unit: task packages served by the requester, across two daemons', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let other: TestNode
  let hello: Buffer
  const API = '/activity-api/v1'
  const offerExtra = {
    'golem.inf.mem.gib': 0.5,
    'golem.inf.cpu.threads': 1,
    'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib']
  }

  let docker: Docker
  before(async function () {
    this.timeout(300_000)
    // The engine answers before the provider starts, so that its vm runtime is offered.
    docker = await dockerUp()
    const small = { configure: (config: any) => (config.modules.activity = { limits: { maxPackageBytes: 8 * 1024 * 1024 } }) }
    provider = await cluster.start(small)
    requester = await cluster.start()
    other = await cluster.start()
    hello = await buildWasm('hello')
  })
  after(async () => await cluster.stop())

  const offer = async (node: TestNode, name: string, body: Uint8Array): Promise<void> => {
    const response = await fetch(`${node.client.url}/agora-api/v1/transfers/offered/${name}`, {
      method: 'PUT',
      body,
      headers: { authorization: `Bearer ${node.client.key}`, 'content-type': 'application/octet-stream' }
    })
    assert.equal(response.status, 201, await response.text())
  }
  /** An activity on the provider for the requester, running the package. */
  const activity = async (taskPackage: string, runtime = 'wasmtime'): Promise<string> => {
    const { agreementId } = await approvedAgreement(provider, requester, {
      runtime,
      offerExtra: { ...offerExtra, 'golem.runtime.name': runtime },
      demandExtra: { 'golem.srv.comp.task_package': taskPackage }
    })
    return (await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })).activityId
  }
  const runScript = async (activityId: string, script: unknown[]): Promise<any[]> => {
    const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
    return await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=60`)
  }
  const deploy = async (activityId: string): Promise<any> => (await runScript(activityId, [{ deploy: {} }]))[0]

  it('runs a WASI module the requester offers, verified by its digest', async () => {
    await offer(requester, 'hello.wasm', hello)
    const activityId = await activity(`hash:sha3:${sha3(hello)}:agora-requester:hello.wasm`)
    const results = await runScript(activityId, [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [] } }])
    assert.deepEqual(
      results.map(r => r.result),
      ['Ok', 'Ok', 'Ok'],
      JSON.stringify(results)
    )
    assert.equal(results[2].stdout, 'hello\n')
  })

  it('refuses a requester file whose digest is not the one named, and keeps nothing of it', async () => {
    const tampered = Buffer.concat([hello, Buffer.from([0])])
    await offer(requester, 'tampered.wasm', tampered)
    const activityId = await activity(`hash:sha3:${sha3(hello.subarray(1))}:agora-requester:tampered.wasm`)
    const refused = await deploy(activityId)
    assert.equal(refused.result, 'Error')
    assert.match(refused.message, /hash mismatch/)
    const kept = await readdir(join(provider.dataDir, 'exe-unit', 'packages')).catch(() => [])
    assert.deepEqual(
      kept.filter(name => name.includes(sha3(tampered)) || name.includes(sha3(hello.subarray(1))) || name.endsWith('.partial')),
      []
    )
    const started = await runScript(activityId, [{ start: { args: [] } }])
    assert.equal(started[0].result, 'Error', 'nothing runs from a refused package')
  })

  it("fails the deploy when the agreement's requester does not offer the file, even if another node does", async () => {
    const onlyElsewhere = await buildWasm('read-file')
    await offer(other, 'elsewhere.wasm', onlyElsewhere)
    const activityId = await activity(`hash:sha3:${sha3(onlyElsewhere)}:agora-requester:elsewhere.wasm`)
    const failed = await deploy(activityId)
    assert.equal(failed.result, 'Error')
    assert.match(failed.message, /elsewhere\.wasm/)
  })

  it("refuses a requester file larger than the provider's package bound", async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 1)
    await offer(requester, 'big.wasm', big)
    const activityId = await activity(`hash:sha3:${sha3(big)}:agora-requester:big.wasm`)
    const refused = await deploy(activityId)
    assert.equal(refused.result, 'Error')
    assert.match(refused.message, /larger than the limit/)
  })

  describe('vm: a docker save tarball served by the requester', () => {
    it('is loaded into the engine after its digest is verified, and runs', async () => {
      const repo = 'agora-test/served'
      const version = `${process.pid}-${Date.now()}`
      const tag = `${repo}:${version}`
      const dir = await tempDir()
      try {
        await docker.getImage(TEST_IMAGE).tag({ repo, tag: version })
        const tarball = join(dir, 'image.tar')
        await pipeline(await docker.getImage(tag).get(), createWriteStream(tarball))
        await docker.getImage(tag).remove()
        const bytes = await readFile(tarball)
        await offer(requester, 'image.tar', bytes)
        // A package bound too small for an image would hide the real test: the provider's bound is 8 MiB.
        assert.ok(bytes.byteLength < 8 * 1024 * 1024, `the test image is ${bytes.byteLength} bytes`)
        const activityId = await activity(`hash:sha3:${sha3(bytes, 224)}:agora-requester:image.tar`, 'vm')
        const results = await runScript(activityId, [
          { deploy: {} },
          { start: { args: [] } },
          { run: { entry_point: '/bin/sh', args: ['-c', 'echo from the requester'] } }
        ])
        assert.deepEqual(
          results.map(r => r.result),
          ['Ok', 'Ok', 'Ok'],
          JSON.stringify(results)
        )
        assert.equal(results[2].stdout, 'from the requester\n')
        await docker.getImage(tag).inspect()
        await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}`)
      } finally {
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => {})
        await rm(dir, { recursive: true, force: true })
      }
    })
  })
})
