// Where things live inside a data dir.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

export interface DataDirPaths {
  dir: string
  db: string
  nodeKey: string
  config: string
  adminSocket: string
  /** Written while the daemon runs: the URL its API is served at. */
  apiUrl: string
}

export function dataDirPaths(dir: string): DataDirPaths {
  return {
    dir,
    db: join(dir, 'db'),
    nodeKey: join(dir, 'node-key.json'),
    config: join(dir, 'config.json'),
    adminSocket: join(dir, 'admin.sock'),
    apiUrl: join(dir, 'api.url')
  }
}

/** Creates the data dir, readable by its owner only (it holds the node key). */
export async function prepareDataDir(dir: string): Promise<DataDirPaths> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return dataDirPaths(dir)
}
