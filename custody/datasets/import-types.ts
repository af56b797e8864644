// What an importer hands back of the snapshot it wrote.
import type { DatasetColumn, DatasetFile } from '../model.ts'

export interface ImportedSnapshot {
  readonly files: readonly DatasetFile[]
  readonly columns: readonly DatasetColumn[]
  readonly rows: number
}
