import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { DatasetRegistry, hasFingerprint, rowFingerprint } from '../../custody/index.ts'
import type { AddDatasetRequest, AuditInput, DatasetLimits, DatasetRecord } from '../../custody/index.ts'
import { Store } from '../../daemon/store/store.ts'
import { CodedError } from '../../net/kernel.ts'
import type { RawRecordStore } from '../../net/kernel.ts'

const encoder = new TextEncoder()

interface Opened {
  registry: DatasetRegistry
  store: Store
  audit: AuditInput[]
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CodedError, `a CodedError, not ${String(err)}`)
    assert.equal(err.code, code)
    assert.match(err.message, message)
    return true
  })
}

describe('custody datasets: the registry and its importers', function () {
  this.timeout(120_000)
  let dir: string
  let root: string
  let opened: Opened | undefined
  let inUse = new Set<string>()

  async function open(limits: Partial<DatasetLimits> = {}): Promise<Opened> {
    await opened?.store.close()
    const store = await Store.open(join(dir, 'db'))
    const audit: AuditInput[] = []
    const db = store.sublevel('custody').sublevel('datasets') as unknown as RawRecordStore
    const registry = new DatasetRegistry(
      {
        db,
        root,
        clock: { now: () => Date.parse('2026-01-02T03:04:05.000Z') },
        audit: {
          append: async input => {
            audit.push(input)
            return { ...input, seq: audit.length, at: '', prev: '', hash: '' }
          }
        },
        inUse: name => inUse.has(name)
      },
      limits
    )
    await registry.open()
    opened = { registry, store, audit }
    return opened
  }

  const registry = (): DatasetRegistry => (opened as Opened).registry
  const add = async (request: AddDatasetRequest): Promise<DatasetRecord> => await registry().add(request)
  const source = async (name: string, text: string | Uint8Array): Promise<string> => {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  /** Nothing of a failed import is left: no record, no snapshot, no fingerprints, no staging. */
  async function assertNothingOf(name: string): Promise<void> {
    assert.equal(registry().get(name), undefined)
    assert.deepEqual(
      await readdir(join(root, 'datasets')),
      [
        ...registry()
          .list()
          .map(r => r.name)
      ].sort()
    )
    assert.deepEqual(
      await readdir(join(root, 'fingerprints')),
      [
        ...registry()
          .list()
          .map(r => r.name)
      ].sort()
    )
    assert.deepEqual(await readdir(join(root, 'staging')).catch(() => []), [])
    await open()
    assert.equal(registry().get(name), undefined, 'nothing was recorded either')
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-datasets-'))
    root = join(dir, 'custody')
    inUse = new Set()
    await open()
  })
  afterEach(async () => {
    await opened?.store.close()
    opened = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('imports a CSV: quoted fields, exact rows, column types over every row, the copy, its sha3 and its row fingerprints', async () => {
    const lines = [
      'id,score,flag,label,empty',
      '1,2.5,true,"plain",',
      '-2,3,FALSE,"a, comma",',
      '3,1e3,false,"a ""quote""",',
      '4,.5,True,"two\r\nlines",',
      '5,-0.25,false,x,'
    ]
    const text = `\ufeff${lines.join('\r\n')}\r\n`
    const path = await source('scores.csv', text)
    const record = await add({ name: 'scores', source: { kind: 'csv', path }, description: 'test scores', tags: ['a', 'b', 'a'], price: { perUse: '0.5' } })
    assert.equal(record.kind, 'csv')
    assert.equal(record.rows, 5)
    assert.deepEqual(record.columns, [
      { name: 'id', type: 'integer' },
      { name: 'score', type: 'real' },
      { name: 'flag', type: 'boolean' },
      { name: 'label', type: 'text' },
      { name: 'empty', type: 'text' }
    ])
    assert.deepEqual(record.tags, ['a', 'b'])
    assert.deepEqual(record.price, { perUse: '0.5', perHour: '0' })
    assert.equal(record.addedAt, '2026-01-02T03:04:05.000Z')
    assert.equal(record.dir, join(root, 'datasets', 'scores'))
    const copy = await readFile(join(record.dir, 'data.csv'))
    assert.deepEqual(copy, Buffer.from(text, 'utf8'))
    assert.deepEqual(record.files, [{ path: 'data.csv', bytes: copy.byteLength, sha3: bytesToHex(sha3_256(copy)) }])
    assert.equal(record.bytes, copy.byteLength)

    const fingerprints = await registry().rowFingerprints('scores')
    for (let i = 1; i < fingerprints.length; i++) assert.ok((fingerprints[i - 1] as bigint) <= (fingerprints[i] as bigint), 'sorted')
    const physical = text.split('\n')
    const expected = physical.map(line => rowFingerprint(encoder.encode(line))).filter(f => f !== null)
    assert.equal(fingerprints.length, expected.length)
    for (const fingerprint of expected) assert.ok(hasFingerprint(fingerprints, fingerprint))
    assert.ok(!hasFingerprint(fingerprints, rowFingerprint(encoder.encode('not a row of the file'))!))
    assert.deepEqual(
      opened!.audit.map(entry => [entry.kind, entry.dataset]),
      [['dataset-added', 'scores']]
    )

    // The registry starts again from its records.
    await open()
    assert.deepEqual(registry().get('scores'), record)
  })

  it('takes a CSV with a header and no rows, and one without a final line break', async () => {
    const empty = await add({ name: 'empty', source: { kind: 'csv', path: await source('e.csv', 'a,b\n') } })
    assert.equal(empty.rows, 0)
    assert.deepEqual(empty.columns, [
      { name: 'a', type: 'text' },
      { name: 'b', type: 'text' }
    ])
    const unterminated = await add({ name: 'last', source: { kind: 'csv', path: await source('l.csv', 'n\n1\n\n2\n3') } })
    assert.equal(unterminated.rows, 3, 'a blank line carries no record; the last line counts without a line break')
    assert.deepEqual(unterminated.columns, [{ name: 'n', type: 'integer' }])
  })

  it('refuses a malformed CSV with the line, leaving nothing', async () => {
    const cases: Array<[string, string | Uint8Array, RegExp]> = [
      ['ragged', 'a,b\n1,2\n3\n', /line 3: 1 fields where the header names 2/],
      ['quote-in-field', 'a,b\n1,2\n3,x"y\n', /line 3: a quote inside an unquoted field/],
      ['after-quote', 'a\n"x"y\n', /line 2: text after the closing quote/],
      ['unclosed', 'a,b\n1,"open\nstill\n', /a quoted field opened on line 2 is not closed/],
      ['bare-cr', 'a,b\n1,2\r3,4\n', /line 2: a carriage return not followed by a line feed/],
      ['empty', '', /is empty: its first row must name the columns/],
      ['twice', 'a,a\n1,2\n', /line 1, column 2: the column name "a" is used twice/],
      ['no-name', 'a,,c\n', /line 1, column 2: a column name is empty/],
      ['not-utf8', Uint8Array.of(0x61, 0x0a, 0xff, 0xfe, 0x0a), /not UTF-8/]
    ]
    for (const [name, text, message] of cases) {
      const path = await source(`${name}.csv`, text)
      await rejectsWith(add({ name, source: { kind: 'csv', path } }), 'BadRequest', message)
      await assertNothingOf(name)
    }
  })

  it('streams a 100,000-row CSV, whose quoted fields cross the reader chunks, to exact rows and types', async () => {
    const path = join(dir, 'big.csv')
    const out = createWriteStream(path)
    out.write('id,value,note\n')
    for (let i = 0; i < 100_000; i++) {
      const note = i % 1000 === 0 ? `"multi\nline ""${i}"", with comma"` : `n${i}`
      if (!out.write(`${i},${i % 7 === 0 ? i : i / 4},${note}\n`)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'close')
    const size = (await stat(path)).size
    const record = await add({ name: 'big', source: { kind: 'csv', path } })
    assert.equal(record.rows, 100_000)
    assert.deepEqual(
      record.columns.map(c => c.type),
      ['integer', 'real', 'text']
    )
    assert.equal(record.bytes, size)
    assert.equal(record.files[0]!.sha3, bytesToHex(sha3_256(await readFile(path))))
    // Every physical line of at least 12 bytes is fingerprinted (the long multi-line field's second line included).
    const expected = (await readFile(path, 'utf8')).split('\n').filter(line => Buffer.byteLength(line) >= 12).length
    assert.equal((await registry().rowFingerprints('big')).length, expected)
  })

  it('refuses a CSV over the byte limit before writing it', async () => {
    await open({ maxBytes: 64 })
    const path = await source('over.csv', `a,b\n${'1,2\n'.repeat(40)}`)
    await rejectsWith(add({ name: 'over', source: { kind: 'csv', path } }), 'PayloadTooLarge', /larger than 64 bytes/)
    await assertNothingOf('over')
  })

  it('copies a directory tree of regular files with each one sha3 and size', async () => {
    const tree = join(dir, 'tree')
    await mkdir(join(tree, 'sub', 'deeper'), { recursive: true })
    await writeFile(join(tree, 'top.txt'), 'a line long enough to count\nshort\n')
    await writeFile(
      join(tree, 'sub', 'b.bin'),
      Uint8Array.from({ length: 3000 }, (_, i) => i % 251)
    )
    await writeFile(join(tree, 'sub', 'deeper', 'c.csv'), 'x,y\n1,2\n')
    const record = await add({ name: 'tree', source: { kind: 'dir', path: tree } })
    assert.equal(record.kind, 'dir')
    assert.equal(record.rows, 0)
    assert.deepEqual(record.columns, [])
    assert.deepEqual(
      record.files.map(f => f.path),
      ['sub/b.bin', 'sub/deeper/c.csv', 'top.txt']
    )
    for (const file of record.files) {
      const original = await readFile(join(tree, file.path))
      assert.deepEqual(await readFile(join(record.dir, file.path)), original)
      assert.equal(file.bytes, original.byteLength)
      assert.equal(file.sha3, bytesToHex(sha3_256(original)))
    }
    assert.equal(
      record.bytes,
      record.files.reduce((sum, file) => sum + file.bytes, 0)
    )
    assert.equal(record.bytes, 3000 + 34 + 8)
    const fingerprints = await registry().rowFingerprints('tree')
    assert.ok(hasFingerprint(fingerprints, rowFingerprint(encoder.encode('a line long enough to count'))!))
  })

  it('refuses a tree holding a symlink or a FIFO, or over the file or byte limit, before copying anything', async () => {
    const tree = join(dir, 'bad-tree')
    await mkdir(join(tree, 'a'), { recursive: true })
    await writeFile(join(tree, 'a', 'one.txt'), 'one')
    await symlink('/etc/hostname', join(tree, 'a', 'link'))
    await rejectsWith(add({ name: 'linked', source: { kind: 'dir', path: tree } }), 'BadRequest', /a\/link is a symbolic link/)
    await assertNothingOf('linked')
    await rm(join(tree, 'a', 'link'))

    // A FIFO sorted last: were anything copied before the walk ended, reading it would block the import for good.
    execFileSync('mkfifo', [join(tree, 'z-fifo')])
    await rejectsWith(add({ name: 'fifo', source: { kind: 'dir', path: tree } }), 'BadRequest', /z-fifo is a FIFO/)
    await assertNothingOf('fifo')
    await rm(join(tree, 'z-fifo'))

    await writeFile(join(tree, 'two.txt'), 'two')
    await open({ maxFiles: 1 })
    await rejectsWith(add({ name: 'many', source: { kind: 'dir', path: tree } }), 'PayloadTooLarge', /more than 1 files/)
    await assertNothingOf('many')
    await open({ maxBytes: 5 })
    await rejectsWith(add({ name: 'heavy', source: { kind: 'dir', path: tree } }), 'PayloadTooLarge', /larger than 5 bytes/)
    await assertNothingOf('heavy')
    await open()
    assert.equal((await add({ name: 'fine', source: { kind: 'dir', path: tree } })).files.length, 2)
  })

  describe('a SQLite view', () => {
    let dbPath: string
    let before: Buffer

    beforeEach(async () => {
      dbPath = join(dir, 'clinic.sqlite')
      const db = new DatabaseSync(dbPath)
      db.exec('CREATE TABLE patients (id INTEGER, age REAL, name TEXT, secret TEXT, big INTEGER, photo BLOB)')
      const insert = db.prepare('INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?)')
      insert.run(1, 30.5, 'Ann, "the first"', 's1', 2n ** 60n + 1n, Uint8Array.of(1, 2))
      insert.run(2, 41, 'Bob\nsecond line', 's2', -7, null)
      insert.run(3, null, '', 's3', 0, null)
      insert.run(4, 12, null, 's4', 5, null)
      db.close()
      before = await readFile(dbPath)
    })

    it("materialises the owner's SELECT as data.csv, with types from the values and integers exact", async () => {
      const view = 'SELECT id, age, name, big FROM patients WHERE id < 4 ORDER BY id'
      const record = await add({ name: 'clinic', source: { kind: 'sqlite', path: dbPath, view } })
      assert.equal(record.kind, 'sqlite')
      assert.deepEqual(record.source, { path: dbPath, view })
      assert.equal(record.rows, 3)
      assert.deepEqual(record.columns, [
        { name: 'id', type: 'integer' },
        { name: 'age', type: 'real' },
        { name: 'name', type: 'text' },
        { name: 'big', type: 'integer' }
      ])
      const csv = await readFile(join(record.dir, 'data.csv'), 'utf8')
      assert.equal(csv, `id,age,name,big\n1,30.5,"Ann, ""the first""",${2n ** 60n + 1n}\n2,41,"Bob\nsecond line",-7\n3,,"",0\n`)
      assert.ok(!csv.includes('s1'), 'what the view leaves out is not in the snapshot')
      assert.deepEqual(await readFile(dbPath), before, 'the database is unchanged')
      // The snapshot reads back through the CSV importer to the same rows.
      const again = await add({ name: 'clinic-copy', source: { kind: 'csv', path: join(record.dir, 'data.csv') } })
      assert.equal(again.rows, 3)
    })

    it('refuses anything but one SELECT, and a BLOB, changing nothing', async () => {
      const refused: Array<[string, RegExp]> = [
        ['DELETE FROM patients RETURNING id', /only a single SELECT/],
        ['INSERT INTO patients (id) VALUES (9) RETURNING id', /only a single SELECT/],
        ['UPDATE patients SET secret = 1 RETURNING id', /only a single SELECT/],
        ['SELECT id FROM patients; DROP TABLE patients', /another statement follows/],
        ['PRAGMA table_info(patients)', /only a single SELECT/],
        ["SELECT * FROM pragma_table_info('patients')", /only a single SELECT/],
        ["ATTACH DATABASE ':memory:' AS other", /only a single SELECT/],
        ['CREATE TABLE t (x)', /only a single SELECT/],
        ['SELEC id FROM patients', /does not compile/],
        ['SELECT photo FROM patients', /holds a BLOB/],
        ['SELECT id, id FROM patients', /used twice/]
      ]
      for (const [view, message] of refused) {
        await rejectsWith(add({ name: 'refused', source: { kind: 'sqlite', path: dbPath, view } }), 'BadRequest', message)
        await assertNothingOf('refused')
      }
      assert.deepEqual(await readFile(dbPath), before, 'the database is unchanged')
      const check = new DatabaseSync(dbPath, { readOnly: true })
      assert.equal((check.prepare('SELECT count(*) AS n FROM patients').get() as { n: number }).n, 4)
      check.close()
      await rejectsWith(add({ name: 'nofile', source: { kind: 'sqlite', path: join(dir, 'none.sqlite'), view: 'SELECT 1' } }), 'BadRequest', /does not exist/)
    })
  })

  it('refuses a bad name, a name in use, a bad price and a relative path; removes record and snapshot; keeps one in use', async () => {
    const path = await source('a.csv', 'a\n1\n')
    await rejectsWith(add({ name: 'Bad Name', source: { kind: 'csv', path } }), 'BadRequest', /dataset name/)
    await rejectsWith(add({ name: '.hidden', source: { kind: 'csv', path } }), 'BadRequest', /dataset name/)
    await rejectsWith(add({ name: 'p', source: { kind: 'csv', path }, price: { perHour: '1e-3' } }), 'BadRequest', /--price-per-hour/)
    await rejectsWith(add({ name: 'p', source: { kind: 'csv', path }, price: { perUse: '0.1234567890123456789' } }), 'BadRequest', /--price-per-use/)
    await rejectsWith(add({ name: 'p', source: { kind: 'csv', path: 'a.csv' } }), 'BadRequest', /must be absolute/)
    await rejectsWith(add({ name: 'p', source: { kind: 'csv', path: dir } }), 'BadRequest', /not a regular file/)
    await add({ name: 'a', source: { kind: 'csv', path } })
    await rejectsWith(add({ name: 'a', source: { kind: 'csv', path } }), 'Conflict', /exists already/)
    // Two adds of one name at once: one wins, the other is a Conflict.
    const both = await Promise.allSettled([add({ name: 'twin', source: { kind: 'csv', path } }), add({ name: 'twin', source: { kind: 'csv', path } })])
    assert.deepEqual(both.map(r => r.status).sort(), ['fulfilled', 'rejected'])
    assert.equal(((both.find(r => r.status === 'rejected') as PromiseRejectedResult).reason as CodedError).code, 'Conflict')

    inUse.add('a')
    await rejectsWith(registry().remove('a'), 'Conflict', /in use/)
    assert.ok(registry().get('a') !== undefined)
    inUse.delete('a')
    const changes: string[] = []
    registry().onChange(() =>
      changes.push(
        registry()
          .list()
          .map(r => r.name)
          .join(',')
      )
    )
    await registry().remove('a')
    assert.deepEqual(changes, ['twin'])
    assert.equal(registry().get('a'), undefined)
    await assert.rejects(stat(join(root, 'datasets', 'a')), { code: 'ENOENT' })
    await assert.rejects(stat(join(root, 'fingerprints', 'a')), { code: 'ENOENT' })
    await rejectsWith(registry().remove('a'), 'NotFound', /no dataset named a/)
    await rejectsWith(registry().rowFingerprints('a'), 'NotFound', /no dataset named a/)
    await open()
    assert.deepEqual(
      registry()
        .list()
        .map(r => r.name),
      ['twin']
    )
  })

  it('refuses more datasets than the limit, and removes at start what a crash left without a record', async () => {
    const path = await source('a.csv', 'a\n1\n')
    await open({ maxDatasets: 1 })
    await add({ name: 'one', source: { kind: 'csv', path } })
    await rejectsWith(add({ name: 'two', source: { kind: 'csv', path } }), 'PayloadTooLarge', /1 datasets already/)
    // As a crash between the move into place and the record leaves it.
    await mkdir(join(root, 'datasets', 'orphan'))
    await writeFile(join(root, 'datasets', 'orphan', 'data.csv'), 'x\n')
    await writeFile(join(root, 'fingerprints', 'orphan'), '')
    await mkdir(join(root, 'staging', 'half'), { recursive: true })
    await open()
    assert.deepEqual(await readdir(join(root, 'datasets')), ['one'])
    assert.deepEqual(await readdir(join(root, 'fingerprints')), ['one'])
    await assert.rejects(stat(join(root, 'staging')), { code: 'ENOENT' })
    assert.equal(registry().get('one')?.rows, 1)
  })
})
