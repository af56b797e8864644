// The GVMI metadata trailer and config, read from real files in a temp dir:
// every way a trailer can be wrong is refused with what is wrong, and the
// config becomes exact `docker import` instructions.
import assert from 'node:assert/strict'
import { open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { importChanges, readConfig } from '../../exe-unit/runtime/vm/gvmi/metadata.ts'
import { readTrailer } from '../../exe-unit/runtime/vm/gvmi/trailer.ts'
import { gvmiFile } from './gvmi-image.ts'
import { tempDir } from './helpers.ts'

describe('exe-unit GVMI metadata', () => {
  let dir: string
  before(async () => {
    dir = await tempDir()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function trailerOf(bytes: Buffer, maxMetadataBytes = 1024): Promise<ReturnType<typeof readTrailer>> {
    const path = join(dir, 'package.gvmi')
    await writeFile(path, bytes)
    const file = await open(path, 'r')
    try {
      return await readTrailer(file, maxMetadataBytes)
    } finally {
      await file.close()
    }
  }

  const image = Buffer.alloc(4096, 7)
  const config = { Env: ['A=1'], Cmd: ['/bin/sh'], WorkingDir: '/w' }

  it('reads the config and where the image ends', async () => {
    const { imageBytes, config: read } = await trailerOf(gvmiFile(image, Buffer.from(JSON.stringify(config))))
    assert.equal(imageBytes, 4096)
    assert.deepEqual(read, config)
  })

  it('refuses a damaged or foreign trailer, naming the problem', async () => {
    const json = Buffer.from(JSON.stringify(config))
    const flipped = gvmiFile(image, json)
    flipped.writeUInt8(flipped.readUInt8(4096 + 4 + 3) ^ 1, 4096 + 4 + 3)
    await assert.rejects(trailerOf(flipped), /its metadata block fails its CRC-32 check/)
    await assert.rejects(trailerOf(Buffer.alloc(8, 0x30)), /it is 8 bytes long, too short/)
    await assert.rejects(trailerOf(Buffer.concat([image, Buffer.from('0000012x')])), /does not end in the 8-digit metadata length/)
    await assert.rejects(trailerOf(gvmiFile(Buffer.alloc(0), json, '00009999')), /metadata block is 9999 bytes, more than the 1024 allowed/)
    await assert.rejects(trailerOf(gvmiFile(Buffer.alloc(0), json, '00000999')), /its metadata length \(999 bytes\) is larger than the file/)
    await assert.rejects(trailerOf(gvmiFile(image, Buffer.from('{"Env": [')), 1024), /its metadata block is not JSON/)
    await assert.rejects(trailerOf(gvmiFile(image, Buffer.from([0x22, 0xff, 0x22]))), /its metadata block is not JSON/)
  })

  it('refuses config values it cannot honour exactly', () => {
    assert.throws(() => readConfig([]), /its metadata is not a JSON object/)
    assert.throws(() => readConfig({ Env: 'A=1' }), /its metadata Env is not a list of at most 1024 strings/)
    assert.throws(() => readConfig({ Env: ['=x'] }), /its metadata Env\[0\] is not NAME=value/)
    assert.throws(() => readConfig({ Env: ['A B=x'] }), /its metadata Env\[0\] is not NAME=value/)
    assert.throws(() => readConfig({ Env: ['NOVALUE'] }), /its metadata Env\[0\] is not NAME=value/)
    assert.throws(() => readConfig({ Cmd: ['ok', 3] }), /its metadata Cmd\[1\] is not a string/)
    assert.throws(() => readConfig({ Entrypoint: ['a\u0000b'] }), /its metadata Entrypoint\[0\] holds a control character/)
    assert.throws(() => readConfig({ Volumes: ['/data'] }), /its metadata Volumes is not an object of paths/)
    assert.throws(() => readConfig({ Volumes: { data: {} } }), /its metadata Volumes "data" is not an absolute path/)
    assert.throws(() => readConfig({ WorkingDir: 7 }), /its metadata WorkingDir 7 is not an absolute path/)
  })

  it('turns the config into import instructions that keep every value exact', () => {
    const read = readConfig({
      Hostname: 'ignored',
      User: 'ignored',
      Env: ['PATH=/usr/bin:/bin', 'QUOTED=say "hi" to $USER \\ now', 'EMPTY='],
      Entrypoint: ['/entry', 'a b'],
      Cmd: null,
      WorkingDir: '/srv//app/',
      Volumes: { '/data': {}, '/golem/work': {} }
    })
    assert.deepEqual(read, {
      entrypoint: ['/entry', 'a b'],
      cmd: [],
      env: ['PATH=/usr/bin:/bin', 'QUOTED=say "hi" to $USER \\ now', 'EMPTY='],
      workingDir: '/srv/app/',
      volumes: ['/data', '/golem/work']
    })
    assert.deepEqual(importChanges(read), [
      'ENV PATH="/usr/bin:/bin"',
      'ENV QUOTED="say \\"hi\\" to \\$USER \\\\ now"',
      'ENV EMPTY=""',
      'WORKDIR "/srv/app/"',
      'VOLUME ["/data","/golem/work"]',
      'ENTRYPOINT ["/entry","a b"]'
    ])
    assert.deepEqual(importChanges(readConfig({ Entrypoint: null, Cmd: ['/bin/sh'], WorkingDir: '' })), ['CMD ["/bin/sh"]'])
  })
})
