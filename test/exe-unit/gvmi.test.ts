// GVMI packages (Golem's gvmkit-squash images) in the "vm" runtime, on a real
// Docker engine with Debian's squashfs-tools: a package built from the local
// busybox image as gvmkit-build builds one, verified by its SHA3-224 digest,
// imported once into the engine, run with its entrypoint, env, working
// directory and volumes; bad packages refused with what is wrong, leaving
// nothing behind.
import assert from 'node:assert/strict'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { ExeScriptCommandResult } from '../../exe-unit/index.ts'
import { GvmiImporter } from '../../exe-unit/runtime/vm/gvmi/gvmi-importer.ts'
import { DEFAULT_GVMI_LIMITS } from '../../exe-unit/runtime/vm/gvmi/limits.ts'
import { dockerUp, vmProperties } from './docker.ts'
import { buildGvmi, gvmiFile, squashfsUp } from './gvmi-image.ts'
import type { BuiltGvmi } from './gvmi-image.ts'
import { DEPLOY_START, runBatch, sha3, startExeUnit, startFileServer, tempDir, uniqueId } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

// Quotes, a dollar and a backslash: the value must arrive exactly, unexpanded.
const GREETING = 'hello "gvmi" $HOME \\o/'
const ENTRY_SCRIPT = '#!/bin/sh\necho "entrypoint saw: $GREETING" > /tmp/entrypoint.log\nexec "$@"\n'

describe('exe-unit vm runtime: GVMI packages', function () {
  this.timeout(180_000)
  let docker: Docker
  let dir: string
  let server: FileServer
  let unit: TestExeUnit
  let gvmi: BuiltGvmi
  const digests: string[] = []

  before(async function () {
    this.timeout(400_000)
    docker = await dockerUp()
    await squashfsUp()
    dir = await tempDir()
    gvmi = await buildGvmi(docker, dir, {
      config: {
        Entrypoint: ['/usr/local/bin/entry.sh'],
        Cmd: ['/bin/sh'],
        Env: ['PATH=/usr/local/bin:/bin', `GREETING=${GREETING}`],
        WorkingDir: '/srv/app',
        Volumes: { '/data': {} }
      },
      scripts: { 'usr/local/bin/entry.sh': ENTRY_SCRIPT }
    })
    server = await startFileServer()
    unit = await startExeUnit({ docker })
  })

  after(async () => {
    await unit?.close()
    await server?.close()
    for (const digest of digests) {
      await docker
        .getImage(imageRef(digest))
        .remove({ force: true })
        .catch(() => {})
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  function imageRef(digest: string): string {
    return `agora-gvmi/sha3-224:${digest}`
  }

  /** Serves the bytes and names them as golem-js does: hash:sha3:<sha3-224>:<url>. */
  function publish(name: string, bytes: Buffer, digest = sha3(bytes, 224)): string {
    server.files.set(`/${name}.gvmi`, bytes)
    digests.push(digest)
    return `hash:sha3:${digest}:${server.url}${name}.gvmi`
  }

  async function deploy(on: TestExeUnit, taskPackage: string): Promise<{ activityId: string; results: ExeScriptCommandResult[] }> {
    const activityId = uniqueId('gvmi')
    const properties = vmProperties(taskPackage, { 'golem.srv.comp.vm.package_format': 'gvmkit-squash' })
    await on.exeUnit.createActivity({ activityId, agreementId: `ag-${activityId}`, requesterId: 'r', properties })
    return { activityId, results: await runBatch(on.exeUnit, activityId, DEPLOY_START, 120_000) }
  }

  async function refused(on: TestExeUnit, taskPackage: string): Promise<string> {
    const { activityId, results } = await deploy(on, taskPackage)
    await on.exeUnit.destroy(activityId, 'test over')
    assert.equal(results[0]?.result, 'Error', JSON.stringify(results))
    return results[0]?.message ?? ''
  }

  /** Nothing of a refused package stays: no image, no kept package file, no unpacked tree. */
  async function assertNothingLeft(on: TestExeUnit, digest: string): Promise<void> {
    await assert.rejects(docker.getImage(imageRef(digest)).inspect(), /no such image/i)
    const kept = await readdir(join(on.dataDir, 'packages')).catch(() => [])
    assert.deepEqual(
      kept.filter(name => name.includes(digest)),
      []
    )
  }

  it('runs commands in a GVMI image with its entrypoint, env, working directory and volumes, imported once per digest', async () => {
    const taskPackage = publish('good', gvmi.bytes)
    const digest = sha3(gvmi.bytes, 224)
    const first = await deploy(unit, taskPackage)
    assert.deepEqual(
      first.results.map(r => r.result),
      ['Ok', 'Ok'],
      JSON.stringify(first.results)
    )
    const script = 'cat /tmp/entrypoint.log; pwd; printf %s "$GREETING"'
    const [shown] = await runBatch(unit.exeUnit, first.activityId, [{ run: { entry_point: '/bin/sh', args: ['-c', script] } }], 30_000)
    assert.equal(shown?.result, 'Ok', JSON.stringify(shown))
    assert.equal(shown?.stdout, `entrypoint saw: ${GREETING}\n/srv/app\n${GREETING}`)
    const [container] = await docker.listContainers({ filters: { label: [`agora.activity=${first.activityId}`] } })
    assert.ok(container !== undefined)
    assert.ok(
      container.Mounts.some(mount => mount.Destination === '/data'),
      'the image volume is bound'
    )
    const { Id: imported } = await docker.getImage(imageRef(digest)).inspect()
    const packageDir = await readdir(join(unit.dataDir, 'packages'))
    assert.deepEqual(packageDir, [], 'neither the unpacked tree nor the package file stays: the engine keeps the image')

    // Another activity, and another exe-unit (as after a restart), use the kept image.
    const again = await deploy(unit, taskPackage)
    assert.equal(again.results[1]?.result, 'Ok', JSON.stringify(again.results))
    const other = await startExeUnit({ docker })
    try {
      const elsewhere = await deploy(other, taskPackage)
      assert.equal(elsewhere.results[1]?.result, 'Ok', JSON.stringify(elsewhere.results))
      await other.exeUnit.destroy(elsewhere.activityId, 'test over')
    } finally {
      await other.close()
    }
    assert.equal((await docker.getImage(imageRef(digest)).inspect()).Id, imported, 'imported once')
    await unit.exeUnit.destroy(first.activityId, 'test over')
    await unit.exeUnit.destroy(again.activityId, 'test over')

    // Removed from the engine behind the exe-unit's back: the next deploy fetches and imports it again.
    await docker.getImage(imageRef(digest)).remove({ force: true })
    const reloaded = await deploy(unit, taskPackage)
    assert.equal(reloaded.results[1]?.result, 'Ok', JSON.stringify(reloaded.results))
    assert.notEqual((await docker.getImage(imageRef(digest)).inspect()).Id, imported)
    await unit.exeUnit.destroy(reloaded.activityId, 'test over')
  })

  it('says in its offer properties that the vm runtime takes gvmkit-squash packages', () => {
    const vm = unit.exeUnit.runtimes().find(r => r.name === 'vm')
    assert.equal(vm?.available, true)
    assert.deepEqual(vm?.offerProperties, { 'golem.runtime.name': 'vm', 'golem.srv.comp.vm.package_format': ['gvmkit-squash'] })
  })

  it('refuses a package whose SHA3-224 digest does not match', async () => {
    const digest = sha3(Buffer.from('another package'), 224)
    const message = await refused(unit, publish('mismatch', gvmi.bytes, digest))
    assert.match(message, /task package hash mismatch: expected sha3-224/)
    await assertNothingLeft(unit, digest)
  })

  it('refuses a truncated package, whether the cut takes the metadata trailer or the squashfs image', async () => {
    const cut = gvmi.bytes.subarray(0, gvmi.bytes.length - 100)
    assert.match(await refused(unit, publish('cut-trailer', cut)), /GVMI package is refused: it does not end in the 8-digit metadata length/)
    await assertNothingLeft(unit, sha3(cut, 224))

    const half = gvmiFile(gvmi.squashfs.subarray(0, 4096), Buffer.from(JSON.stringify(gvmi.config)))
    assert.match(await refused(unit, publish('cut-image', half)), /its squashfs image claims \d+ bytes, but only 4096 precede the metadata/)
    await assertNothingLeft(unit, sha3(half, 224))
  })

  it('refuses an oversized metadata block by its length field, before reading it', async () => {
    const metadata = Buffer.from(JSON.stringify({ ...gvmi.config, Labels: { padding: 'x'.repeat(2 * 1024 * 1024) } }))
    const big = gvmiFile(gvmi.squashfs, metadata)
    assert.match(
      await refused(unit, publish('big-metadata', big)),
      new RegExp(`its metadata block is ${metadata.byteLength} bytes, more than the 1048576 allowed`)
    )
    await assertNothingLeft(unit, sha3(big, 224))
  })

  it('refuses metadata the runtime cannot honour exactly', async () => {
    const relative = gvmiFile(gvmi.squashfs, Buffer.from(JSON.stringify({ ...gvmi.config, WorkingDir: 'srv/app' })))
    assert.match(await refused(unit, publish('relative-workdir', relative)), /its metadata WorkingDir "srv\/app" is not an absolute path/)
    await assertNothingLeft(unit, sha3(relative, 224))
    const newline = gvmiFile(gvmi.squashfs, Buffer.from(JSON.stringify({ ...gvmi.config, Env: ['A=one\nENV B=two'] })))
    assert.match(await refused(unit, publish('newline-env', newline)), /its metadata Env\[0\] holds a control character/)
  })

  it('refuses an image past the unpacked-size or file-count bound before unpacking it', async () => {
    const small = await startExeUnit({ docker, limits: { maxUnpackedPackageBytes: 64 * 1024 } })
    const few = await startExeUnit({ docker, limits: { maxPackageFiles: 50 } })
    try {
      // Its own digest: the image the first test imported would otherwise be used as kept.
      const name = publish('bounded', gvmiFile(gvmi.squashfs, Buffer.from(JSON.stringify({ ...gvmi.config, Hostname: 'bounded' }))))
      assert.match(await refused(small, name), /GVMI package is refused: it unpacks to more than 65536 bytes/)
      assert.match(await refused(few, name), /GVMI package is refused: it holds \d+ files, more than the 50 allowed/)
      for (const on of [small, few]) {
        const kept = await readdir(join(on.dataDir, 'packages'))
        assert.deepEqual(kept, [], 'neither the package nor an unpacked tree stays')
      }
    } finally {
      await small.close()
      await few.close()
    }
  })

  it('answers Unavailable, naming squashfs-tools, where unsquashfs is missing', async () => {
    const path = join(dir, 'unused.gvmi')
    await writeFile(path, gvmi.bytes)
    const importer = new GvmiImporter({ docker, limits: DEFAULT_GVMI_LIMITS, unsquashfs: join(dir, 'no-such-unsquashfs') })
    await assert.rejects(importer.import(path, { repo: 'agora-gvmi/test', tag: 'missing' }, AbortSignal.timeout(60_000)), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'Unavailable')
      assert.match((error as Error).message, /GVMI packages need unsquashfs, which this provider lacks \(squashfs-tools\)/)
      return true
    })
  })

  it('stops an import when its activity goes away, leaving neither an unpacked tree nor an image', async () => {
    const importDir = join(dir, 'aborted')
    await mkdir(importDir)
    const path = join(importDir, 'package.gvmi')
    await writeFile(path, gvmi.bytes)
    const importer = new GvmiImporter({ docker, limits: DEFAULT_GVMI_LIMITS })
    const gone = new AbortController()
    const importing = importer.import(path, { repo: 'agora-gvmi/test', tag: 'aborted' }, gone.signal)
    gone.abort(new Error('the activity was destroyed'))
    await assert.rejects(importing, /the activity was destroyed|aborted/)
    assert.deepEqual(await readdir(importDir), ['package.gvmi'])
    await assert.rejects(docker.getImage('agora-gvmi/test:aborted').inspect(), /no such image/i)
  })
})
