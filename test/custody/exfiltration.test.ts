// The exfiltration matrix: an algorithm approved to run next to a dataset
// tries every way out of a real exe-unit, and the test states which the
// guards stop. Stopped: a copy of the data file, copied rows (in a table or a
// histogram's keys), oversize and cumulative output, undeclared kinds and
// extra fields, too few rows, stdout and stderr (captured or streamed),
// exit codes beyond 0/1, transfers from /data or /work, transfers into /data,
// writes to /data, http both ways, network granted by the agreement. Left
// (the docs name them): when a command ends, the one bit of its status, and
// what an approved algorithm encodes inside an allowed aggregate.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ExeUnitError } from '../../exe-unit/index.ts'
import type { RuntimeEvent } from '../../exe-unit/index.ts'
import { DEPLOY_START, runBatch, sha3 } from '../exe-unit/helpers.ts'
import { PATIENTS_CSV, startGrantedUnit } from './granted-unit.ts'
import type { GrantedUnit } from './granted-unit.ts'
import { testPolicy } from './helpers.ts'
import { FD, OFLAGS, RIGHTS, WasiProgram } from './wasi-program.ts'

const ROWS = PATIENTS_CSV.split('\n')

describe('custody: the exfiltration matrix (wasmtime)', function () {
  this.timeout(180_000)
  let granted: GrantedUnit

  before(async () => {
    granted = await startGrantedUnit((dataset, hash) => testPolicy(dataset, [hash]))
  })
  after(async () => {
    await granted?.close()
  })
  const created: string[] = []
  afterEach(async () => {
    for (const activityId of created.splice(0)) await granted.unit.exeUnit.destroy(activityId, 'the test is done')
  })

  /** An activity of `program`, deployed, with the program run once (its result and its events). */
  async function attempt(name: string, program: WasiProgram, options: { exitCode?: number; table?: boolean; capture?: unknown } = {}) {
    const kinds = options.table === true ? (['aggregate', 'histogram', 'vector', 'table'] as const) : undefined
    const taskPackage = await granted.approve(name, await program.build(options.exitCode ?? 0), hash =>
      testPolicy(granted.dataset.name, [hash], kinds === undefined ? {} : { kinds: [...kinds] })
    )
    const activityId = await granted.create(taskPackage)
    created.push(activityId)
    await runBatch(granted.unit.exeUnit, activityId, DEPLOY_START)
    const run = { run: { entry_point: name, args: [], ...(options.capture === undefined ? {} : { capture: options.capture }) } }
    const batchId = granted.unit.exeUnit.exec(activityId, [run])
    const events: RuntimeEvent[] = []
    for await (const event of granted.unit.exeUnit.streamBatch(activityId, batchId)) events.push(event)
    const [result] = await granted.unit.exeUnit.getBatchResults(activityId, batchId, { timeoutMs: 30_000 })
    return { activityId, result, events }
  }

  async function transfer(activityId: string, from: string, to: string) {
    const [result] = await runBatch(granted.unit.exeUnit, activityId, [{ transfer: { from, to } }])
    return result
  }

  function refusals(activityId: string): (string | undefined)[] {
    return granted.audit.entries.filter(entry => entry.activityId === activityId && entry.kind === 'refusal').map(entry => entry.reasons?.[0]?.rule)
  }

  const copyData = (target: string): WasiProgram =>
    new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 })
      .read({ slot: 0 })
      .open(FD.out, target, { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeBuffer({ slot: 1 })
  const writeOut = (files: Record<string, string>): WasiProgram => {
    const program = new WasiProgram()
    Object.entries(files).forEach(([file, text], slot) => {
      program.open(FD.out, file, { slot, oflags: OFLAGS.creat, rights: RIGHTS.all }).writeText({ slot }, text)
    })
    return program
  }

  it('stops an output file that copies data.csv, under any name', async () => {
    const { activityId, result } = await attempt('copy-file', copyData('result.txt'))
    assert.equal(result?.result, 'Ok')
    const sent = await transfer(activityId, 'container:/out/result.txt', 'agora-requester:/result.txt')
    assert.equal(sent?.result, 'Error')
    assert.equal(granted.requester.files.size, 0)
    assert.deepEqual(refusals(activityId), ['output.copiedFile'])
  })

  it('stops copied rows: in a table, and as a histogram key', async () => {
    const rows = `label,value\n${ROWS[3]}\n${ROWS[4]}\n`
    const histogram = JSON.stringify({ kind: 'histogram', cells: [{ key: ROWS[5], count: 4 }] })
    const clean = 'label,value\nbucket-30-39 has many rows,10\n'
    const { activityId } = await attempt('copy-rows', writeOut({ 'rows.csv': rows, 'keys.json': histogram, 'clean.csv': clean }), { table: true })
    assert.equal((await transfer(activityId, 'container:/out/rows.csv', 'agora-requester:/rows.csv'))?.result, 'Error')
    assert.equal((await transfer(activityId, 'container:/out/keys.json', 'agora-requester:/keys.json'))?.result, 'Error')
    // A table of the algorithm's own lines passes: the guard refuses rows, not tables.
    assert.equal((await transfer(activityId, 'container:/out/clean.csv', 'agora-requester:/clean.csv'))?.result, 'Ok')
    assert.deepEqual(
      [...granted.requester.files.keys()].filter(key => /rows|keys|clean/.test(key)),
      ['agora-requester:/clean.csv']
    )
    assert.deepEqual(refusals(activityId), ['output.copiedRows', 'output.copiedRows'])
  })

  it('stops oversize output, by the file and by the activity total, before reading it', async () => {
    const values = (n: number) => JSON.stringify({ kind: 'vector', rows: 12, values: Array.from({ length: n }, (_, i) => i) })
    const { activityId } = await attempt('oversize', writeOut({ 'big.json': values(1500), 'half.json': values(500), 'again.json': values(500) }))
    assert.equal((await transfer(activityId, 'container:/out/big.json', 'agora-requester:/big.json'))?.result, 'Error')
    assert.equal((await transfer(activityId, 'container:/out/half.json', 'agora-requester:/half.json'))?.result, 'Ok')
    assert.equal((await transfer(activityId, 'container:/out/half.json', 'agora-requester:/half2.json'))?.result, 'Ok')
    // 3 × ~2 KB: the third passes the 4096 bytes one activity may release.
    assert.equal((await transfer(activityId, 'container:/out/again.json', 'agora-requester:/again.json'))?.result, 'Error')
    assert.deepEqual(refusals(activityId), ['output.maxBytes', 'output.maxBytes'])
  })

  it('stops undeclared kinds, extra fields and results on too few rows', async () => {
    const { activityId } = await attempt(
      'kinds',
      writeOut({
        'notes.txt': 'the algorithm thinks aloud here',
        'raw.json': '{"kind":"raw","rows":12,"data":"anything"}',
        'model.json': '{"kind":"model","rows":12,"weights":[0.5]}',
        'extra.json': '{"kind":"aggregate","rows":12,"values":{"mean":1},"leak":"1000,30,condition-0"}',
        'few.json': '{"kind":"aggregate","rows":2,"values":{"mean":1}}',
        'cells.json': '{"kind":"histogram","cells":[{"key":"a","count":5},{"key":"b","count":1}]}',
        'name.json': '{"kind":"aggregate","rows":12,"values":{"1000,30,condition-0,SW1A 0AA":1}}'
      })
    )
    for (const file of ['notes.txt', 'raw.json', 'model.json', 'extra.json', 'few.json', 'cells.json', 'name.json']) {
      const result = await transfer(activityId, `container:/out/${file}`, `agora-requester:/${file}`)
      assert.equal(result?.result, 'Error', file)
    }
    assert.deepEqual(refusals(activityId), [
      'output.kinds',
      'output.kinds',
      'output.kinds',
      'output.format',
      'output.minRows',
      'output.minRows',
      'output.format'
    ])
    assert.equal(granted.requester.files.size === 0 || ![...granted.requester.files.keys()].some(key => /notes|raw|model|extra|few|cells|name/.test(key)), true)
  })

  it('stops stdout and stderr, captured at the end or streamed', async () => {
    const leak = new WasiProgram().open(FD.data, 'data.csv', { slot: 0 }).read({ slot: 0 }).writeBuffer(1).writeBuffer(2)
    const atEnd = await attempt('logs-at-end', leak)
    assert.equal(atEnd.result?.result, 'Ok')
    assert.equal(atEnd.result?.stdout, undefined)
    assert.equal(atEnd.result?.stderr, undefined)
    const streamed = await attempt('logs-streamed', leak, { capture: { stdout: { stream: {} }, stderr: { stream: {} } } })
    assert.deepEqual(
      streamed.events.map(event => Object.keys(event.kind)[0]),
      ['started', 'finished']
    )
    assert.doesNotMatch(JSON.stringify([atEnd, streamed]), /condition-|SW1A/)
  })

  it('lets an exit code out only as 0 or 1', async () => {
    for (const code of [0, 1, 7, 42, 255]) {
      const { result, events } = await attempt(`exit-${code}`, new WasiProgram(), { exitCode: code })
      const finished = events.find(event => 'finished' in event.kind)?.kind as { finished: { returnCode: number; message?: string } }
      assert.equal(finished.finished.returnCode, code === 0 ? 0 : 1, `exit ${code}`)
      assert.equal(result?.result, code === 0 ? 'Ok' : 'Error')
      if (code > 1) assert.doesNotMatch(`${result?.message} ${finished.finished.message}`, new RegExp(`code ${code}`))
    }
    // The owner's audit log keeps the real code.
    assert.ok(granted.audit.of('run').some(entry => entry.detail?.exitCode === 42))
  })

  it('refuses transfers from /data or /work, and into /data; writes to /data fail', async () => {
    const write = new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 })
      .read({ slot: 0 })
      .open(FD.work, 'stash.csv', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeBuffer({ slot: 1 })
      .open(FD.data, 'planted.csv', { slot: 2, oflags: OFLAGS.creat, rights: RIGHTS.all })
    const { activityId } = await attempt('paths', write)
    granted.requester.files.set('agora-requester:/in.csv', Buffer.from('x,y\n1,2\n'))
    for (const [from, to] of [
      ['container:/data/data.csv', 'agora-requester:/data.csv'],
      ['container:/work/stash.csv', 'agora-requester:/stash.csv'],
      ['container:/data/../work/stash.csv', 'agora-requester:/stash.csv'],
      ['agora-requester:/in.csv', 'container:/data/in.csv'],
      ['container:/work/stash.csv', 'container:/data/data.csv']
    ]) {
      const result = await transfer(activityId, from as string, to as string)
      assert.equal(result?.result, 'Error', `${from} → ${to}`)
    }
    assert.equal(granted.requester.files.has('agora-requester:/data.csv') || granted.requester.files.has('agora-requester:/stash.csv'), false)
    assert.deepEqual(await readdir(granted.dataset.dir), ['data.csv'])
    assert.equal(sha3(await readFile(join(granted.dataset.dir, 'data.csv'))), granted.dataset.files[0]?.sha3)
  })

  it('refuses the network: http out and in, and network the agreement grants', async () => {
    const { activityId } = await attempt('network', writeOut({ 'mean.json': '{"kind":"aggregate","rows":12,"values":{"mean":1}}' }))
    granted.server.files.set('/input.csv', Buffer.from('a,b\n'))
    const out = await transfer(activityId, 'container:/out/mean.json', `${granted.server.url}mean.json`)
    const down = await transfer(activityId, `${granted.server.url}input.csv`, 'container:/work/input.csv')
    assert.equal(out?.result, 'Error')
    assert.match(out?.message ?? '', /no network/)
    assert.equal(down?.result, 'Error')
    assert.equal(granted.server.files.has('/mean.json'), false)
    // Network the agreement grants is refused too: test/exe-unit/vm-data.test.ts shows the container has none.
  })

  it('lets the timing of a long output show only when the command ends (residual)', async () => {
    const long = new WasiProgram().fill(32_768).spin(50_000_000).writeBuffer(1, 64)
    const { result, events } = await attempt('timing', long, { capture: { stdout: { stream: {} } } })
    assert.equal(result?.result, 'Ok')
    // 2 MiB written to stdout while it ran, and not one event to time it by: only the end shows.
    assert.deepEqual(
      events.map(event => Object.keys(event.kind)[0]),
      ['started', 'finished']
    )
  })

  it('refuses the activity of an algorithm the policy does not approve, before reserving anything', async () => {
    const bytes = await new WasiProgram().build()
    const approvedElsewhere = await granted.approve('unapproved', bytes, () => testPolicy(granted.dataset.name, ['sha3:00']))
    const before = granted.unit.exeUnit.listActivities().length
    await assert.rejects(
      granted.create(approvedElsewhere),
      (error: unknown) => error instanceof Error && (error as ExeUnitError).code === 'Forbidden' && /not approved/.test(error.message)
    )
    assert.equal(granted.unit.exeUnit.listActivities().length, before)
    assert.equal(granted.audit.entries.at(-1)?.kind, 'decision')
    assert.equal(granted.audit.entries.at(-1)?.allow, false)
  })
})
