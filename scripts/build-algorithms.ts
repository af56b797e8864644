// Builds the example algorithms (examples/algorithms/*.ts, AssemblyScript)
// into WASI preview1 modules, dist/algorithms/<name>.wasm. The same sources
// and compiler give the same bytes, so a module's sha3 (what an owner's
// policy allows) is reproducible from source. A module whose inputs have not
// changed since its last build is kept as it is.
// Run by `npm run build`; `node scripts/build-algorithms.ts [outDir]` alone.
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ALGORITHMS = ['mean-variance', 'histogram', 'logreg-gradient'] as const
export type AlgorithmName = (typeof ALGORITHMS)[number]

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sourceDir = join(root, 'examples', 'algorithms')
export const ALGORITHMS_OUT_DIR = join(root, 'dist', 'algorithms')

// Only wasi_snapshot_preview1 imports: the runtime's abort goes to our own
// function, and no Math.random or Date (they import from env).
const COMPILER_OPTIONS = ['-O3', '--runtime', 'incremental', '--exportStart', '_start', '--use', 'abort=examples/algorithms/lib/wasi/wasiAbort', '--noColors']

export interface BuiltAlgorithm {
  readonly name: AlgorithmName
  readonly path: string
  /** "sha3:<hex>" (sha3-256) of the module, as a task package's hash names it. */
  readonly hash: string
  readonly rebuilt: boolean
}

/** Builds one algorithm into `outDir` unless its inputs are unchanged since the last build. */
export async function buildAlgorithm(name: AlgorithmName, outDir = ALGORITHMS_OUT_DIR): Promise<BuiltAlgorithm> {
  const asc = (await import('assemblyscript/asc')).default
  const entry = relative(root, join(sourceDir, `${name}.ts`))
  const stamp = await inputsStamp(asc.version, entry)
  const path = join(outDir, `${name}.wasm`)
  const stampPath = join(outDir, `${name}.inputs`)
  const previous = await readFile(stampPath, 'utf8').catch(() => null)
  const existing = previous === stamp ? await readFile(path).catch(() => null) : null
  if (existing !== null) return { name, path, hash: sha3(existing), rebuilt: false }

  let binary: Uint8Array | null = null
  const errors: string[] = []
  const result = await asc.main([entry, '--baseDir', root, '--outFile', `${name}.wasm`, ...COMPILER_OPTIONS], {
    writeFile: (file, contents) => {
      if (file.endsWith('.wasm') && typeof contents !== 'string') binary = contents
    },
    stderr: { write: (chunk: string | Uint8Array) => void errors.push(String(chunk)) } as never,
    stdout: { write: () => {} } as never
  })
  if (result.error !== null || binary === null) {
    throw new Error(`building the algorithm ${name} failed: ${result.error?.message ?? 'no module was written'}\n${errors.join('')}`)
  }
  await mkdir(outDir, { recursive: true })
  const bytes: Uint8Array = binary
  // Written aside and renamed, so a reader never sees half a module.
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, bytes)
  await rename(temporary, path)
  await writeFile(stampPath, stamp)
  return { name, path, hash: sha3(bytes), rebuilt: true }
}

export async function buildAlgorithms(outDir = ALGORITHMS_OUT_DIR): Promise<BuiltAlgorithm[]> {
  const built: BuiltAlgorithm[] = []
  for (const name of ALGORITHMS) built.push(await buildAlgorithm(name, outDir))
  return built
}

export function sha3(bytes: Uint8Array): string {
  return `sha3:${createHash('sha3-256').update(bytes).digest('hex')}`
}

// What the module is made of: the compiler's version and options, the entry and every library source.
async function inputsStamp(version: string, entry: string): Promise<string> {
  const hash = createHash('sha3-256').update(JSON.stringify({ version, entry, options: COMPILER_OPTIONS }))
  const files = [join(root, entry), ...(await readdir(join(sourceDir, 'lib'))).sort().map(file => join(sourceDir, 'lib', file))]
  for (const file of files) hash.update(relative(root, file)).update(await readFile(file))
  return hash.digest('hex')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = process.argv[2] ?? ALGORITHMS_OUT_DIR
  for (const built of await buildAlgorithms(outDir)) {
    console.log(`${built.rebuilt ? 'built' : 'kept'} ${relative(process.cwd(), built.path)} ${built.hash}`)
  }
}
