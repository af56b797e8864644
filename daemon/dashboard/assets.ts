// The dashboard's built files (dist/dashboard, written by scripts/build-dashboard.ts),
// read into memory once at start: a handful of small files, served from a Map
// so that no request names a path on disk.
import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export interface DashboardAsset {
  body: Buffer
  /** The body gzipped once at load, sent to browsers that take gzip. */
  gzipped?: Buffer
  type: string
}

/** The built files by name ('index.html', 'app-<hash>.js', ...). */
export type DashboardAssets = ReadonlyMap<string, DashboardAsset>

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8'
}

/** Where the build puts the files: beside the sources (dist/dashboard) or, from the built daemon, beside dist/daemon. */
export function defaultDashboardDir(): string {
  const candidates = [new URL('../../dist/dashboard/', import.meta.url), new URL('../../dashboard/', import.meta.url)].map(url => fileURLToPath(url))
  return candidates.find(dir => existsSync(join(dir, 'index.html'))) ?? candidates[0]!
}

/** Reads the built files; an empty map when the dashboard was not built. */
export async function loadDashboardAssets(dir: string): Promise<DashboardAssets> {
  const assets = new Map<string, DashboardAsset>()
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return assets
  }
  for (const name of names) {
    const type = TYPES[extname(name)]
    if (type === undefined) continue
    const body = await readFile(join(dir, name))
    assets.set(name, { body, gzipped: gzipSync(body, { level: 9 }), type })
  }
  return assets
}
