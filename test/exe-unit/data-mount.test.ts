// A WASI activity granted a dataset sees it at /data and can only read it:
// every call that would write through a descriptor descending from /data
// answers ROFS, writes asked for at open are stripped, and neither "..",
// nor a link planted in /out, reaches the dataset for writing. /out is
// writable, and its files leave only through the guard.
import assert from 'node:assert/strict'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DEPLOY_START, runBatch } from './helpers.ts'
import { PATIENTS_CSV, startGrantedUnit } from '../custody/granted-unit.ts'
import type { GrantedUnit } from '../custody/granted-unit.ts'
import { testPolicy } from '../custody/helpers.ts'
import { ERRNO, FD, OFLAGS, RIGHTS, WasiProgram } from '../custody/wasi-program.ts'

describe('exe-unit: a dataset mounted read-only (wasmtime)', function () {
  this.timeout(120_000)
  let granted: GrantedUnit

  before(async () => {
    granted = await startGrantedUnit((dataset, hash) => testPolicy(dataset, [hash], { logs: 'full', exitCodes: 'full', kinds: ['aggregate', 'text'] }))
  })
  after(async () => {
    await granted?.close()
  })

  async function runProgram(name: string, program: WasiProgram): Promise<{ activityId: string; errnos: number[]; outDir: string }> {
    const taskPackage = await granted.approve(name, await program.build())
    const activityId = await granted.create(taskPackage)
    await runBatch(granted.unit.exeUnit, activityId, DEPLOY_START)
    const [result] = await runBatch(granted.unit.exeUnit, activityId, [{ run: { entry_point: name, args: [] } }])
    assert.equal(result?.result, 'Ok', JSON.stringify(result))
    const errnos = (result?.stdout ?? '').trim().split(' ').map(Number)
    return { activityId, errnos, outDir: join(granted.unit.dataDir, 'activities', activityId, 'out') }
  }

  it('reads /data and writes /out, and refuses every write to /data with ROFS', async () => {
    const before = await readdir(granted.dataset.dir)
    const mtime = (await stat(join(granted.dataset.dir, 'data.csv'))).mtimeMs
    const program = new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 }) // 0
      .read({ slot: 0 }) // 1
      .open(FD.out, 'copy.csv', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all }) // 2
      .writeBuffer({ slot: 1 }) // 3
      .open(FD.data, 'data.csv', { slot: 2, rights: RIGHTS.all }) // 4: opens, without its write rights
      .writeText({ slot: 2 }, 'overwritten') // 5
      .call('fd_pwrite', { slot: 2 }, 0, 1, 0n, 8) // 6
      .call('fd_allocate', { slot: 2 }, 0n, 1024n) // 7
      .call('fd_filestat_set_size', { slot: 2 }, 0n) // 8
      .call('fd_filestat_set_times', { slot: 2 }, 0n, 0n, 5) // 9
      .open(FD.data, 'new.txt', { slot: 3, oflags: OFLAGS.creat, rights: RIGHTS.all }) // 10
      .open(FD.data, 'data.csv', { slot: 3, oflags: OFLAGS.trunc, rights: RIGHTS.all }) // 11
      .open(FD.data, 'data.csv', { slot: 3, oflags: OFLAGS.creat | OFLAGS.excl, rights: RIGHTS.all }) // 12
      .call('path_create_directory', FD.data, 'made') // 13
      .call('path_remove_directory', FD.data, 'made') // 14
      .call('path_unlink_file', FD.data, 'data.csv') // 15
      .call('path_rename', FD.data, 'data.csv', FD.out, 'moved.csv') // 16
      .call('path_rename', FD.out, 'copy.csv', FD.data, 'data.csv') // 17
      .call('path_link', FD.data, 0, 'data.csv', FD.out, 'hard.csv') // 18
      .call('path_symlink', 'data.csv', FD.data, 'sym') // 19
      .call('path_filestat_set_times', FD.data, 0, 'data.csv', 0n, 0n, 5) // 20
      // A directory opened under /data is read-only too, and so is what it opens.
      .open(FD.data, '.', { slot: 4, oflags: OFLAGS.directory, rights: RIGHTS.all }) // 21
      .open({ slot: 4 }, 'inner.txt', { slot: 5, oflags: OFLAGS.creat, rights: RIGHTS.all }) // 22
      // Renumbered onto a writable file's number, the read-only file stays read-only.
      .call('fd_renumber', { slot: 2 }, { slot: 1 }) // 23
      .writeText({ slot: 1 }, 'overwritten') // 24
      // Out of /out by "..", or by a link planted there, the dataset is out of reach.
      .open(FD.out, '../data/data.csv', { slot: 6, rights: RIGHTS.all }) // 25
      .call('path_symlink', '../data/data.csv', FD.out, 'escape') // 26
      .open(FD.out, 'escape', { slot: 6, rights: RIGHTS.all }) // 27
      .open(FD.work, '../../', { slot: 6, oflags: OFLAGS.directory }) // 28
    const { errnos, outDir } = await runProgram('read-only', program)
    const { success: OK, rofs: ROFS } = ERRNO
    assert.deepEqual(errnos.slice(0, 25), [
      OK,
      OK,
      OK,
      OK,
      OK,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      ROFS,
      OK,
      ROFS,
      OK,
      ROFS
    ])
    assert.notEqual(errnos[25], OK, 'a ".." out of /out must not open')
    assert.notEqual(errnos[27], OK, 'a link out of /out must not open')
    assert.notEqual(errnos[28], OK, 'a ".." out of /work must not open')
    // Reads worked: /out holds the dataset's bytes; the dataset is as it was.
    assert.equal(await readFile(join(outDir, 'copy.csv'), 'utf8'), PATIENTS_CSV)
    assert.equal(await readFile(join(granted.dataset.dir, 'data.csv'), 'utf8'), PATIENTS_CSV)
    assert.deepEqual(await readdir(granted.dataset.dir), before)
    assert.equal((await stat(join(granted.dataset.dir, 'data.csv'))).mtimeMs, mtime)
  })

  it('releases a file of /out through the guard, and refuses one that copies the dataset', async () => {
    const program = new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 })
      .read({ slot: 0 })
      .open(FD.out, 'copy.txt', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeBuffer({ slot: 1 })
      .open(FD.out, 'mean.json', { slot: 2, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeText({ slot: 2 }, '{"kind":"aggregate","rows":12,"values":{"age.mean":35.5}}')
    const { activityId, errnos } = await runProgram('release', program)
    assert.deepEqual(errnos, [0, 0, 0, 0, 0, 0])
    const [released, copied] = await runBatch(granted.unit.exeUnit, activityId, [
      { transfer: { from: 'container:/out/mean.json', to: 'agora-requester:/mean.json' } },
      { transfer: { from: 'container:/out/copy.txt', to: 'agora-requester:/copy.txt' } }
    ])
    assert.equal(released?.result, 'Ok', JSON.stringify(released))
    assert.deepEqual(JSON.parse(granted.requester.files.get('agora-requester:/mean.json')?.toString() ?? 'null'), {
      kind: 'aggregate',
      rows: 12,
      values: { 'age.mean': 35.5 }
    })
    assert.equal(copied?.result, 'Error')
    assert.match(copied?.message ?? '', /copy of a dataset file/)
    assert.equal(granted.requester.files.has('agora-requester:/copy.txt'), false)
    const outcomes = granted.audit.entries.filter(entry => entry.activityId === activityId && (entry.kind === 'release' || entry.kind === 'refusal'))
    assert.deepEqual(
      outcomes.map(entry => [entry.kind, entry.reasons?.[0]?.rule]),
      [
        ['release', 'output.kinds'],
        ['refusal', 'output.copiedFile']
      ]
    )
  })
})
