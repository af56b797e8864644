// The owner's registered datasets: records in the custody module's sublevel,
// snapshots under <root>/datasets/<name>/ (what activities mount read-only),
// row fingerprints under <root>/fingerprints/<name> (beside the snapshot,
// never mounted). An import is all-or-nothing: it is written under
// <root>/staging/, moved into place, and only then recorded; a start-up after
// a crash removes whatever has no record.
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Type from 'typebox'
import { CodedError, loadEach, silentLogger, systemClock, validator } from '../../net/index.ts'
import type { Clock, Logger, RawRecordStore } from '../../net/index.ts'
import type { AuditSink, DatasetCatalog, DatasetRecord } from '../model.ts'
import { importCsv } from './csv-import.ts'
import { checkName, checkRequest } from './dataset-request.ts'
import type { AddDatasetRequest, CheckedRequest } from './dataset-request.ts'
import { importDir } from './dir-import.ts'
import { FingerprintList } from './file-digest.ts'
import type { ImportedSnapshot } from './import-types.ts'
import { DEFAULT_DATASET_LIMITS } from './limits.ts'
import type { DatasetLimits } from './limits.ts'
import { importSqlite } from './sqlite-import.ts'

export interface DatasetRegistryComponents {
  /** The records' sublevel (custody's `datasets`). */
  readonly db: RawRecordStore
  /** <dataDir>/custody: the registry owns its datasets/, fingerprints/ and staging/ folders. */
  readonly root: string
  readonly clock?: Pick<Clock, 'now'>
  readonly logger?: Logger
  /** Told of every add and remove (the audit log), when there is one. */
  readonly audit?: AuditSink
  /** Whether the dataset is in use now (an agreement on it in force): such a dataset is not removed (Conflict). */
  readonly inUse?: (name: string) => boolean
}

const DatasetRecordSchema = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('csv'), Type.Literal('dir'), Type.Literal('sqlite')]),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  source: Type.Object({ path: Type.String(), view: Type.Optional(Type.String()) }),
  dir: Type.String(),
  files: Type.Array(Type.Object({ path: Type.String(), bytes: Type.Integer(), sha3: Type.String() })),
  columns: Type.Array(Type.Object({ name: Type.String(), type: Type.Union(['integer', 'real', 'text', 'boolean'].map(t => Type.Literal(t))) })),
  rows: Type.Integer(),
  bytes: Type.Integer(),
  price: Type.Object({ perUse: Type.String(), perHour: Type.String() }),
  addedAt: Type.String()
})
const recordCheck = validator(DatasetRecordSchema, 'a stored dataset record')
const SYNC = { sync: true }

export class DatasetRegistry implements DatasetCatalog {
  readonly #db: RawRecordStore
  readonly #root: string
  readonly #limits: DatasetLimits
  readonly #clock: Pick<Clock, 'now'>
  readonly #logger: Logger
  readonly #audit: AuditSink | undefined
  readonly #inUse: ((name: string) => boolean) | undefined
  readonly #records = new Map<string, DatasetRecord>()
  /** Names being added or removed: a second add or remove of one of them is a Conflict. */
  readonly #busy = new Set<string>()
  readonly #listeners = new Set<() => void>()

  constructor(components: DatasetRegistryComponents, limits: Partial<DatasetLimits> = {}) {
    this.#db = components.db
    this.#root = components.root
    this.#limits = { ...DEFAULT_DATASET_LIMITS, ...limits }
    this.#clock = components.clock ?? systemClock
    this.#logger = components.logger ?? silentLogger
    this.#audit = components.audit
    this.#inUse = components.inUse
  }

  get limits(): DatasetLimits {
    return this.#limits
  }

  /** Loads the records and removes what an interrupted import or removal left behind. */
  async open(): Promise<void> {
    const loaded = await loadEach({
      store: this.#db,
      parse: (value, key) => {
        const record = recordCheck.parse(value) as DatasetRecord
        if (record.name !== key) throw new Error(`the record under ${key} names ${record.name}`)
        return record
      },
      onBad: bad => this.#logger.warn({ bad }, 'custody datasets: a stored record was set aside')
    })
    for (const { record } of loaded) this.#records.set(record.name, record)
    await rm(this.#staging(), { recursive: true, force: true })
    for (const folder of [this.#datasets(), this.#fingerprintDir()]) {
      await mkdir(folder, { recursive: true })
      for (const entry of await readdir(folder)) {
        if (this.#records.has(entry)) continue
        this.#logger.warn({ entry, folder }, 'custody datasets: a snapshot without a record is removed')
        await rm(join(folder, entry), { recursive: true, force: true })
      }
    }
  }

  list(): readonly DatasetRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  get(name: string): DatasetRecord | undefined {
    return this.#records.get(name)
  }

  /** The dataset's record; NotFound when there is none. */
  require(name: string): DatasetRecord {
    const record = this.#records.get(checkName(name))
    if (record === undefined) throw new CodedError('NotFound', `no dataset named ${name}`)
    return record
  }

  async rowFingerprints(name: string): Promise<BigUint64Array> {
    this.require(name)
    const bytes = await readFile(join(this.#fingerprintDir(), name))
    // Copied into an aligned buffer of its own (the read may share a pool).
    const aligned = new Uint8Array(bytes.byteLength)
    aligned.set(bytes)
    return new BigUint64Array(aligned.buffer, 0, aligned.byteLength / 8)
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Snapshots the source and records it; on any failure nothing of it is left. */
  async add(request: AddDatasetRequest): Promise<DatasetRecord> {
    const checked = checkRequest(request)
    const { name } = checked
    if (this.#records.has(name) || this.#busy.has(name)) throw new CodedError('Conflict', `a dataset named ${name} exists already (remove it first)`)
    if (this.#records.size + this.#busy.size >= this.#limits.maxDatasets) {
      throw new CodedError('PayloadTooLarge', `this node holds ${this.#limits.maxDatasets} datasets already (modules.custody.datasets.maxDatasets)`)
    }
    this.#busy.add(name)
    const staging = join(this.#staging(), `${name}-${randomBytes(6).toString('hex')}`)
    try {
      const snapshotDir = join(staging, 'snapshot')
      await mkdir(snapshotDir, { recursive: true })
      const fingerprints = new FingerprintList()
      const snapshot = await this.#import(checked, snapshotDir, fingerprints)
      const sorted = fingerprints.sorted()
      await writeFile(join(staging, 'fingerprints'), new Uint8Array(sorted.buffer, sorted.byteOffset, sorted.byteLength), { flush: true })
      const dir = join(this.#datasets(), name)
      const record: DatasetRecord = {
        name,
        kind: checked.source.kind,
        description: checked.description,
        tags: checked.tags,
        source: checked.source.kind === 'sqlite' ? { path: checked.source.path, view: checked.source.view } : { path: checked.source.path },
        dir,
        files: snapshot.files,
        columns: snapshot.columns,
        rows: snapshot.rows,
        bytes: snapshot.files.reduce((sum, file) => sum + file.bytes, 0),
        price: checked.price,
        addedAt: new Date(this.#clock.now()).toISOString()
      }
      await rename(snapshotDir, dir)
      await rename(join(staging, 'fingerprints'), join(this.#fingerprintDir(), name))
      // Recorded last: a crash before this line leaves a snapshot without a record, which the next start removes.
      await this.#db.put(name, JSON.stringify(record), { valueEncoding: 'utf8', ...SYNC })
      this.#records.set(name, record)
      this.#changed()
      await this.#audited({
        kind: 'dataset-added',
        dataset: name,
        detail: { kind: record.kind, rows: record.rows, bytes: record.bytes, files: record.files.length }
      })
      return record
    } catch (err) {
      if (!this.#records.has(name)) await this.#removeFiles(name)
      throw err
    } finally {
      await rm(staging, { recursive: true, force: true })
      this.#busy.delete(name)
    }
  }

  /** Removes the record, then the snapshot and its fingerprints. */
  async remove(name: string): Promise<DatasetRecord> {
    const record = this.require(name)
    if (this.#busy.has(name)) throw new CodedError('Conflict', `the dataset ${name} is being added or removed`)
    if (this.#inUse?.(name) === true)
      throw new CodedError('Conflict', `the dataset ${name} is in use (an agreement on it is in force): remove it once that ends`)
    this.#busy.add(name)
    try {
      await this.#db.del(name, SYNC)
      this.#records.delete(name)
      this.#changed()
      await this.#removeFiles(name)
      await this.#audited({ kind: 'dataset-removed', dataset: name })
      return record
    } finally {
      this.#busy.delete(name)
    }
  }

  async #import(request: CheckedRequest, snapshotDir: string, fingerprints: FingerprintList): Promise<ImportedSnapshot> {
    const { source } = request
    switch (source.kind) {
      case 'csv':
        return await importCsv(source.path, snapshotDir, fingerprints, this.#limits.maxBytes)
      case 'dir':
        return await importDir(source.path, snapshotDir, fingerprints, this.#limits)
      case 'sqlite':
        return await importSqlite(source.path, source.view, snapshotDir, fingerprints, this.#limits.maxBytes)
    }
  }

  async #removeFiles(name: string): Promise<void> {
    await rm(join(this.#datasets(), name), { recursive: true, force: true })
    await rm(join(this.#fingerprintDir(), name), { force: true })
  }

  async #audited(input: Parameters<AuditSink['append']>[0]): Promise<void> {
    if (this.#audit === undefined) return
    await this.#audit.append(input).catch((err: unknown) => {
      this.#logger.warn({ err, dataset: input.dataset }, 'custody datasets: the audit log did not take an entry')
    })
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener()
      } catch (err) {
        this.#logger.warn({ err }, 'custody datasets: a change listener failed')
      }
    }
  }

  #datasets(): string {
    return join(this.#root, 'datasets')
  }

  #fingerprintDir(): string {
    return join(this.#root, 'fingerprints')
  }

  #staging(): string {
    return join(this.#root, 'staging')
  }
}
