// `agora data add <name> --csv FILE`: the file copied into the snapshot as
// data.csv in one streamed pass that also parses it (RFC 4180), counts its
// rows exactly, infers each column's type over every row and digests it.
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { CodedError } from '../../net/kernel.ts'
import type { DatasetColumn } from '../model.ts'
import { ColumnTypes } from './column-types.ts'
import { CsvParser } from './csv-parser.ts'
import type { FingerprintList } from './file-digest.ts'
import type { ImportedSnapshot } from './import-types.ts'
import { regularFileSize } from './source-checks.ts'
import { ByteBudget, SnapshotFile, tooLarge } from './snapshot-file.ts'

export const CSV_FILE = 'data.csv'
const MAX_COLUMNS = 1000
const MAX_COLUMN_NAME = 128

export async function importCsv(source: string, snapshotDir: string, fingerprints: FingerprintList, maxBytes: number): Promise<ImportedSnapshot> {
  const size = await regularFileSize(source, '--csv')
  if (size > maxBytes) throw tooLarge(maxBytes)
  const table = new TableReader('the CSV file')
  const file = await SnapshotFile.create(join(snapshotDir, CSV_FILE), CSV_FILE, fingerprints, new ByteBudget(maxBytes))
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for await (const chunk of createReadStream(source, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      await file.write(chunk)
      table.push(decodeText(decoder, chunk, table))
    }
    table.push(decodeText(decoder, undefined, table))
    table.end()
    const written = await file.finish()
    return { files: [written], columns: table.columns(), rows: table.rows }
  } catch (err) {
    await file.abandon()
    throw err
  }
}

function decodeText(decoder: InstanceType<typeof TextDecoder>, chunk: Uint8Array | undefined, table: TableReader): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true })
  } catch (err) {
    throw new CodedError('BadRequest', `the CSV file, near line ${table.line}: not UTF-8 text`, { cause: err })
  }
}

/** The header row names the columns; every other record must have as many fields. */
export class TableReader {
  readonly #parser: CsvParser
  readonly #what: string
  #header: string[] | undefined
  #types: ColumnTypes | undefined
  rows = 0

  constructor(what: string) {
    this.#what = what
    this.#parser = new CsvParser((fields, line) => this.#record(fields, line), what)
  }

  get line(): number {
    return this.#parser.line
  }

  push(text: string): void {
    this.#parser.push(text)
  }

  end(): void {
    this.#parser.end()
    if (this.#header === undefined) throw new CodedError('BadRequest', `${this.#what} is empty: its first row must name the columns`)
  }

  columns(): DatasetColumn[] {
    return this.#types?.columns() ?? []
  }

  #record(fields: string[], line: number): void {
    if (this.#header === undefined) {
      this.#header = checkedHeader(fields, this.#what)
      this.#types = new ColumnTypes(this.#header)
      return
    }
    if (fields.length !== this.#header.length) {
      throw new CodedError('BadRequest', `${this.#what}, line ${line}: ${fields.length} fields where the header names ${this.#header.length}`)
    }
    this.#types?.texts(fields)
    this.rows++
  }
}

function checkedHeader(names: string[], what: string): string[] {
  if (names.length > MAX_COLUMNS) throw new CodedError('BadRequest', `${what}, line 1: more than ${MAX_COLUMNS} columns`)
  const seen = new Set<string>()
  for (const [index, name] of names.entries()) {
    const which = `${what}, line 1, column ${index + 1}`
    if (name.trim() === '') throw new CodedError('BadRequest', `${which}: a column name is empty (the first row must name the columns)`)
    if (name.length > MAX_COLUMN_NAME) throw new CodedError('BadRequest', `${which}: a column name is longer than ${MAX_COLUMN_NAME} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (/[\u0000-\u001f\u007f]/.test(name)) throw new CodedError('BadRequest', `${which}: a column name holds a control character`)
    if (seen.has(name)) throw new CodedError('BadRequest', `${which}: the column name ${JSON.stringify(name)} is used twice`)
    seen.add(name)
  }
  return names
}
