// `agora data add --csv` on a million rows: the registry streams the file
// into its snapshot, parsing, typing and fingerprinting it in one pass, so the
// heap stays flat whatever the file's size; and a SQLite view of the same rows.
//   dataset.csv_import.rows_per_s        rows/s, 1,000,000 rows (≈25 MB)
//   dataset.csv_import.mb_per_s          MB/s
//   dataset.csv_import.peak_heap_growth  MB above the heap before the import (sampled every 10 ms)
//   dataset.csv_import.peak_rss_growth   MB above the RSS before the import
//   dataset.sqlite_view.rows_per_s       rows/s, the same rows through a SQLite view
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { DatasetRegistry } from '../../custody/index.ts'
import { Store } from '../../daemon/store/store.ts'
import type { RawRecordStore } from '../../net/kernel.ts'
import { report } from './report.ts'

const ROWS = 1_000_000
const MB = 1024 * 1024

const dir = await mkdtemp(join(tmpdir(), 'agora-bench-datasets-'))
const store = await Store.open(join(dir, 'db'))
try {
  const csv = join(dir, 'rows.csv')
  const out = createWriteStream(csv)
  out.write('id,age,score,ward,note\n')
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`${i},${18 + (i % 70)},${(i % 1000) / 8},w${i % 12},"row ${i}, ok"\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'close')
  const bytes = (await stat(csv)).size

  const registry = new DatasetRegistry({ db: store.sublevel('custody').sublevel('datasets') as unknown as RawRecordStore, root: join(dir, 'node', 'custody') })
  await registry.open()
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const rssBefore = process.memoryUsage().rss
  let peakHeap = heapBefore
  let peakRss = rssBefore
  const sampler = setInterval(() => {
    const usage = process.memoryUsage()
    peakHeap = Math.max(peakHeap, usage.heapUsed)
    peakRss = Math.max(peakRss, usage.rss)
  }, 10)
  const started = performance.now()
  const record = await registry.add({ name: 'rows', source: { kind: 'csv', path: csv } })
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  if (record.rows !== ROWS) throw new Error(`imported ${record.rows} rows, not ${ROWS}`)
  report('dataset.csv_import.rows_per_s', Math.round(ROWS / seconds), 'rows/s')
  report('dataset.csv_import.mb_per_s', bytes / MB / seconds, 'MB/s')
  report('dataset.csv_import.peak_heap_growth', (peakHeap - heapBefore) / MB, 'MB')
  report('dataset.csv_import.peak_rss_growth', (peakRss - rssBefore) / MB, 'MB')

  const sqlite = join(dir, 'rows.sqlite')
  const db = new DatabaseSync(sqlite)
  db.exec('CREATE TABLE rows (id INTEGER, age INTEGER, score REAL, ward TEXT, note TEXT)')
  const insert = db.prepare('INSERT INTO rows VALUES (?, ?, ?, ?, ?)')
  db.exec('BEGIN')
  for (let i = 0; i < ROWS; i++) insert.run(i, 18 + (i % 70), (i % 1000) / 8, `w${i % 12}`, `row ${i}, ok`)
  db.exec('COMMIT')
  db.close()
  const viewStarted = performance.now()
  const viewed = await registry.add({ name: 'rows-view', source: { kind: 'sqlite', path: sqlite, view: 'SELECT id, age, score, ward, note FROM rows' } })
  const viewSeconds = (performance.now() - viewStarted) / 1000
  if (viewed.rows !== ROWS) throw new Error(`the view gave ${viewed.rows} rows, not ${ROWS}`)
  report('dataset.sqlite_view.rows_per_s', Math.round(ROWS / viewSeconds), 'rows/s')
} finally {
  await store.close()
  await rm(dir, { recursive: true, force: true })
}
