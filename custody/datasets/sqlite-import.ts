// `agora data add <name> --sqlite FILE --view SQL`: the owner's view of a
// SQLite database materialised as data.csv. The database is opened read-only
// through node:sqlite and an authorizer lets the statement only read and
// select, so the view can change nothing; it must be one statement that
// returns rows. The owner's SQL decides what is exposed: a requester never
// sends SQL. Column types come from the values (integers read exactly, as
// bigint); a BLOB is refused (the view should convert it, e.g. hex(x)).
import { join } from 'node:path'
import { constants, DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { CodedError } from '../../net/kernel.ts'
import { ColumnTypes } from './column-types.ts'
import { CSV_FILE } from './csv-import.ts'
import type { FingerprintList } from './file-digest.ts'
import type { ImportedSnapshot } from './import-types.ts'
import { regularFileSize } from './source-checks.ts'
import { ByteBudget, SnapshotFile } from './snapshot-file.ts'

/** What a view may do: read tables and select (functions and recursive CTEs included); nothing else. */
const ALLOWED = new Set([constants.SQLITE_SELECT, constants.SQLITE_READ, constants.SQLITE_FUNCTION, constants.SQLITE_RECURSIVE])
/** SQLite's result code for a statement the authorizer refused (node:sqlite does not export it). */
const SQLITE_AUTH = 23
const WRITE_BATCH = 256 * 1024
export const MAX_VIEW_CHARS = 64 * 1024

export async function importSqlite(
  source: string,
  view: string,
  snapshotDir: string,
  fingerprints: FingerprintList,
  maxBytes: number
): Promise<ImportedSnapshot> {
  checkViewText(view)
  await regularFileSize(source, '--sqlite')
  const db = openReadOnly(source)
  try {
    const statement = prepareView(db, view)
    const names = statement.columns().map(column => column.name)
    checkNames(names)
    const types = new ColumnTypes(names)
    const file = await SnapshotFile.create(join(snapshotDir, CSV_FILE), CSV_FILE, fingerprints, new ByteBudget(maxBytes))
    try {
      let batch = `${names.map(csvField).join(',')}\n`
      let rows = 0
      for (const row of iterateRows(statement) as Iterable<unknown[]>) {
        types.values(row)
        batch += `${row.map((value, index) => csvValue(value, names[index] as string)).join(',')}\n`
        rows++
        if (batch.length >= WRITE_BATCH) {
          await file.write(Buffer.from(batch, 'utf8'))
          batch = ''
        }
      }
      if (batch !== '') await file.write(Buffer.from(batch, 'utf8'))
      return { files: [await file.finish()], columns: types.columns(), rows }
    } catch (err) {
      await file.abandon()
      throw err
    }
  } finally {
    db.close()
  }
}

function checkViewText(view: string): void {
  if (view.trim() === '') throw new CodedError('BadRequest', '--view: the SQL is empty')
  if (view.length > MAX_VIEW_CHARS) throw new CodedError('BadRequest', `--view: the SQL is longer than ${MAX_VIEW_CHARS} characters`)
}

function openReadOnly(path: string): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly: true, allowExtension: false })
    db.setAuthorizer(action => (ALLOWED.has(action) ? constants.SQLITE_OK : constants.SQLITE_DENY))
    return db
  } catch (err) {
    throw new CodedError('BadRequest', `--sqlite: ${path} cannot be opened as a SQLite database`, { cause: err })
  }
}

/** One SELECT: the authorizer refuses anything else while it compiles; nothing may follow it. */
function prepareView(db: DatabaseSync, view: string): StatementSync {
  let statement: StatementSync
  try {
    statement = db.prepare(view)
  } catch (err) {
    throw viewError(err, 'the SQL does not compile')
  }
  const rest = view.slice(statement.sourceSQL.length)
  if (!/^[\s;]*$/.test(rest)) throw new CodedError('BadRequest', '--view: only a single SELECT is accepted (another statement follows the first)')
  if (statement.columns().length === 0) throw new CodedError('BadRequest', '--view: only a single SELECT is accepted (the statement returns no columns)')
  statement.setReadBigInts(true)
  statement.setReturnArrays(true)
  return statement
}

function* iterateRows(statement: StatementSync): Iterable<unknown> {
  try {
    yield* statement.iterate()
  } catch (err) {
    if (err instanceof CodedError) throw err
    throw viewError(err, 'the query failed')
  }
}

/** A refusal of the authorizer (at compile time, or as a table-valued PRAGMA runs) says what a view may be; other failures quote SQLite. */
function viewError(err: unknown, what: string): CodedError {
  if ((err as { errcode?: number }).errcode === SQLITE_AUTH) {
    return new CodedError(
      'BadRequest',
      '--view: only a single SELECT is accepted (the statement would write, or reads what a view may not: PRAGMA, ATTACH …)',
      { cause: err }
    )
  }
  return new CodedError('BadRequest', `--view: ${what}: ${sqliteMessage(err)}`, { cause: err })
}

/** SQLite's own text names the owner's SQL's mistake (the owner wrote it: it is not forwarded to any peer). */
function sqliteMessage(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : 'unknown error'
}

function checkNames(names: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of names) {
    if (name === '') throw new CodedError('BadRequest', '--view: a column has no name (name it with AS)')
    if (seen.has(name)) throw new CodedError('BadRequest', `--view: the column name ${JSON.stringify(name)} is used twice (rename one with AS)`)
    seen.add(name)
  }
}

function csvValue(value: unknown, column: string): string {
  if (value === null) return ''
  if (typeof value === 'bigint' || typeof value === 'number') return String(value)
  if (typeof value === 'string') return value === '' ? '""' : csvField(value)
  throw new CodedError('BadRequest', `--view: the column ${JSON.stringify(column)} holds a BLOB: convert it in the view (e.g. hex(${column}))`)
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
