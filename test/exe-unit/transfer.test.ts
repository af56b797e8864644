// Transfer commands on a real WASI activity: http(s) downloads into the work
// directory and uploads out of it, files to and from the requester through
// the RequesterFileChannel, and the guards (private addresses, volumes, links,
// sizes).
import assert from 'node:assert/strict'
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  DEPLOY_START,
  MemoryRequesterFiles,
  buildWasm,
  publishModule,
  runBatch,
  sha3,
  startExeUnit,
  startFileServer,
  tempDir,
  uniqueId,
  wasmProperties
} from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'
import type { Logger } from '../../net/index.ts'

describe('exe-unit transfers', () => {
  let server: FileServer
  let unit: TestExeUnit
  let requester: MemoryRequesterFiles
  let readFileModule: string

  before(async () => {
    server = await startFileServer()
    requester = new MemoryRequesterFiles()
    unit = await startExeUnit({ requesterFiles: requester, limits: { maxTransferBytes: 64 * 1024 } })
    readFileModule = await publishModule(server, 'read-file')
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  async function ready(): Promise<{ activityId: string; workDir: string }> {
    const activityId = uniqueId('transfer')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(readFileModule) })
    await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    return { activityId, workDir: join(unit.dataDir, 'activities', activityId, 'work') }
  }

  it('downloads an http URL into the work directory, where the module reads it', async () => {
    const { activityId } = await ready()
    server.files.set('/data/input.txt', Buffer.from('from the web'))
    const results = await runBatch(unit.exeUnit, activityId, [
      { transfer: { from: `${server.url}redirect/data/input.txt`, to: 'container:/work/input.txt' } },
      { run: { entry_point: 'read-file' } }
    ])
    assert.equal(results[0]?.result, 'Ok')
    assert.equal(results[0]?.message, 'transferred 12 bytes')
    assert.equal(results[1]?.stdout, 'from the web')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('uploads a file from the work directory with an http PUT', async () => {
    const { activityId, workDir } = await ready()
    await mkdir(join(workDir, 'out'))
    await writeFile(join(workDir, 'out', 'result.bin'), Buffer.from([1, 2, 3]))
    const [upload] = await runBatch(unit.exeUnit, activityId, [{ transfer: { from: 'container:/work/out/result.bin', to: `${server.url}uploads/result.bin` } }])
    assert.equal(upload?.result, 'Ok', upload?.message)
    assert.deepEqual(server.files.get('/uploads/result.bin'), Buffer.from([1, 2, 3]))
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('moves files from and to the requester through its channel', async () => {
    const { activityId } = await ready()
    const input = Buffer.alloc(2500, 'x')
    requester.files.set('agora-requester:in-1', input)
    const results = await runBatch(unit.exeUnit, activityId, [
      { transfer: { from: 'agora-requester:in-1', to: 'container:/work/input.txt' } },
      { transfer: { from: 'container:/work/input.txt', to: 'gftp:out-1' } }
    ])
    assert.deepEqual(
      results.map(r => r.result),
      ['Ok', 'Ok'],
      JSON.stringify(results)
    )
    assert.deepEqual(requester.files.get('gftp:out-1'), input)
    const [missing] = await runBatch(unit.exeUnit, activityId, [{ transfer: { from: 'agora-requester:nothing', to: 'container:/work/x' } }])
    assert.match(missing?.message ?? '', /the requester has no file/)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it("a failure of the provider's own (a file error with its path) reaches the requester as a reference, the log keeps the error", async () => {
    const logged: Array<Record<string, any>> = []
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (object: object | string) => {
        if (typeof object === 'object') logged.push(object)
      },
      child: () => logger
    }
    const hidden = join(await tempDir(), 'provider-secret', 'keys.json')
    const failing = new MemoryRequesterFiles()
    failing.read = async function* () {
      yield await readFile(hidden)
    }
    const own = await startExeUnit({ requesterFiles: failing, logger })
    try {
      const activityId = uniqueId('leak')
      await own.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(readFileModule) })
      await runBatch(own.exeUnit, activityId, DEPLOY_START)
      const [failed] = await runBatch(own.exeUnit, activityId, [{ transfer: { from: 'agora-requester:any', to: 'container:/work/x' } }])
      assert.equal(failed?.result, 'Error')
      const ref = /^internal error \(ref ([0-9a-f]{16})\)$/.exec(failed?.message ?? '')?.[1]
      assert.ok(ref !== undefined, failed?.message)
      const line = logged.find(entry => entry.correlationId === ref)
      assert.equal(line?.err?.code, 'ENOENT')
      assert.equal(line?.err?.path, hidden)
    } finally {
      await own.close()
    }
  })

  it('refuses paths outside the volumes, links leading out, and files over the size bound', async () => {
    const { activityId, workDir } = await ready()
    const outside = await tempDir()
    try {
      await writeFile(join(outside, 'secret'), 'provider secret')
      await symlink(join(outside, 'secret'), join(workDir, 'link'))
      await symlink(outside, join(workDir, 'dirlink'))
      server.files.set('/big', Buffer.alloc(64 * 1024 + 1))
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ from: 'container:/etc/passwd', to: `${server.url}x` }, /container:\/etc\/passwd is outside the activity's volumes/],
        [{ from: 'container:/work/../etc/passwd', to: `${server.url}x` }, /outside the activity's volumes/],
        [{ from: 'container:/work/link', to: `${server.url}x` }, /is not a regular file/],
        [{ from: 'container:/work/dirlink/secret', to: `${server.url}x` }, /leads outside the activity's volume/],
        [{ from: `${server.url}data/input.txt`, to: 'container:/work/dirlink/planted' }, /dirlink is not a directory/],
        [{ from: `${server.url}big`, to: 'container:/work/big' }, /larger than the limit of 65536 bytes/],
        [{ from: `${server.url}missing`, to: 'container:/work/m' }, /HTTP 404/],
        [{ from: `${server.url}a`, to: `${server.url}b` }, /one end must be a container: path/],
        [{ from: 'ftp://example.com/a', to: 'container:/work/a' }, /unsupported scheme/],
        [{ from: 'container:work/a', to: `${server.url}a` }, /container path must be absolute/]
      ]
      server.files.set('/data/input.txt', Buffer.from('x'))
      for (const [transfer, message] of cases) {
        const [result] = await runBatch(unit.exeUnit, activityId, [{ transfer }])
        assert.equal(result?.result, 'Error', JSON.stringify(transfer))
        assert.match(result?.message ?? '', message)
      }
      assert.equal(server.files.has('/x'), false, 'nothing was uploaded')
      await assert.rejects(readFile(join(outside, 'planted')), /ENOENT/)
      await assert.rejects(readFile(join(workDir, 'big')), /ENOENT/, 'a partial download is removed')
    } finally {
      await rm(outside, { recursive: true, force: true })
      await unit.exeUnit.destroy(activityId, 'test over')
    }
  })

  it('keeps transfers and packages off private and loopback addresses unless allowed', async () => {
    const packageDir = await tempDir()
    const guarded = await startExeUnit({ allowPrivateNetworks: false, localPackageDirs: [packageDir] })
    try {
      // A package over http from loopback is refused; from a provider directory it is fine.
      const module = await buildWasm('read-file')
      const fromServer = uniqueId('guarded')
      await guarded.exeUnit.createActivity({ activityId: fromServer, agreementId: 'a', requesterId: 'r', properties: wasmProperties(readFileModule) })
      const [deploy] = await runBatch(guarded.exeUnit, fromServer, [{ deploy: {} }])
      assert.match(deploy?.message ?? '', /127\.0\.0\.1:\d+ is a private or local address/)

      await writeFile(join(packageDir, 'read-file.wasm'), module)
      const local = `hash:sha3:${sha3(module)}:${pathToFileURL(join(packageDir, 'read-file.wasm')).href}`
      const activityId = uniqueId('guarded')
      await guarded.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(local) })
      const ready = await runBatch(guarded.exeUnit, activityId, DEPLOY_START)
      assert.deepEqual(
        ready.map(r => r.result),
        ['Ok', 'Ok']
      )
      server.files.set('/data/input.txt', Buffer.from('x'))
      const [download] = await runBatch(guarded.exeUnit, activityId, [{ transfer: { from: `${server.url}data/input.txt`, to: 'container:/work/input.txt' } }])
      assert.match(download?.message ?? '', /private or local address/)

      // Packages are kept by digest, so this one must differ from those fetched above.
      const other = await buildWasm('hello')
      const outsideFile = join(guarded.dataDir, 'hello.wasm')
      await writeFile(outsideFile, other)
      const outside = uniqueId('guarded')
      await guarded.exeUnit.createActivity({
        activityId: outside,
        agreementId: 'a',
        requesterId: 'r',
        properties: wasmProperties(`hash:sha3:${sha3(other)}:${pathToFileURL(outsideFile).href}`)
      })
      const [refused] = await runBatch(guarded.exeUnit, outside, [{ deploy: {} }])
      assert.match(refused?.message ?? '', /outside the provider's package directories/)
    } finally {
      await guarded.close()
      await rm(packageDir, { recursive: true, force: true })
    }
  })
})
