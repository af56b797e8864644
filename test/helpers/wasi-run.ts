// Runs a WASI command on node:wasi the way a data activity sees the world:
// the dataset's directory at /data, an empty /out, and stdout/stderr caught
// in files, so a test reads what the module wrote and what it printed.
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WASI } from 'node:wasi'
import { wasm } from '../../exe-unit/runtime/wasmtime/wasm-api.ts'
import type { WasmModule } from '../../exe-unit/runtime/wasmtime/wasm-api.ts'

export interface WasiRun {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  /** The files the module left in /out, by name. */
  readonly out: ReadonlyMap<string, string>
}

const modules = new Map<string, Promise<WasmModule>>()

export async function runWasi(modulePath: string, args: readonly string[], dataDir: string): Promise<WasiRun> {
  let compiled = modules.get(modulePath)
  if (compiled === undefined) {
    compiled = readFile(modulePath).then(bytes => wasm.compile(bytes))
    modules.set(modulePath, compiled)
  }
  const module = await compiled
  const scratch = await mkdtemp(join(tmpdir(), 'agora-wasi-run-'))
  try {
    const outDir = join(scratch, 'out')
    await import('node:fs/promises').then(fs => fs.mkdir(outDir))
    const stdoutFd = openSync(join(scratch, 'stdout'), 'w')
    const stderrFd = openSync(join(scratch, 'stderr'), 'w')
    let exitCode: number
    try {
      const wasi = new WASI({
        version: 'preview1',
        args: ['algorithm', ...args],
        env: {},
        preopens: { '/data': dataDir, '/out': outDir },
        returnOnExit: true,
        stdout: stdoutFd,
        stderr: stderrFd
      })
      const instance = new wasm.Instance(module, wasi.getImportObject() as Record<string, Record<string, unknown>>)
      exitCode = wasi.start(instance)
    } finally {
      closeSync(stdoutFd)
      closeSync(stderrFd)
    }
    const out = new Map<string, string>()
    for (const name of await readdir(outDir)) out.set(name, await readFile(join(outDir, name), 'utf8'))
    return {
      exitCode,
      stdout: await readFile(join(scratch, 'stdout'), 'utf8'),
      stderr: await readFile(join(scratch, 'stderr'), 'utf8'),
      out
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
