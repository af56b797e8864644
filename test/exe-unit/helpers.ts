// Shared set-up for the exe-unit tests: WASI fixtures built from .wat sources,
// a real HTTP file server on an ephemeral port, an in-memory requester file
// channel, a real node key with the daemon's result signer, and an ExeUnit in a
// temp directory.
import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import wabtFactory from 'wabt'
import { NodeKey } from '../../net/index.ts'
import { madeTempDir } from '../helpers/temp-dirs.ts'
import { ExeUnit, ExeUnitError, resultSigner } from '../../exe-unit/index.ts'
import type { ExeScriptCommandResult, ExeUnitOptions, RequesterFileChannel } from '../../exe-unit/index.ts'

const FIXTURES = new URL('../fixtures/wasi/', import.meta.url)

let wabt: Awaited<ReturnType<typeof wabtFactory>> | undefined

/** Compiles test/fixtures/wasi/<name>.wat to a WebAssembly binary. */
export async function buildWasm(name: string): Promise<Buffer> {
  return await buildWat(`${name}.wat`, await readFile(new URL(`${name}.wat`, FIXTURES), 'utf8'))
}

export async function buildWat(name: string, source: string): Promise<Buffer> {
  wabt ??= await wabtFactory()
  const module = wabt.parseWat(name, source)
  try {
    return Buffer.from(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

export function sha3(bytes: Uint8Array, bits = 256): string {
  return createHash(`sha3-${bits}`).update(bytes).digest('hex')
}

/** A temp directory removed after the test file (test/helpers/temp-dirs.ts). */
export async function tempDir(): Promise<string> {
  return await madeTempDir()
}

export interface FileServer {
  /** Base URL, ending in "/". */
  url: string
  files: Map<string, Buffer>
  close: () => Promise<void>
}

/** Serves `files` by path on GET and stores request bodies on PUT. */
export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, Buffer>()
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    if (request.method === 'PUT') {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        files.set(path, Buffer.concat(chunks))
        response.writeHead(201).end()
      })
      return
    }
    if (path.startsWith('/redirect')) {
      response.writeHead(302, { location: path.slice('/redirect'.length) }).end()
      return
    }
    const body = files.get(path)
    if (body === undefined) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-length': body.byteLength }).end(body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    files,
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

/** A stand-in for the network's requester channel: files kept in memory by URL. */
export class MemoryRequesterFiles implements RequesterFileChannel {
  readonly files = new Map<string, Buffer>()

  async *read(url: string): AsyncIterable<Uint8Array> {
    const data = this.files.get(url)
    // As the network's channel answers: a coded NotFound, fit for the requester to read.
    if (data === undefined) throw new ExeUnitError('NotFound', `the requester has no file ${url}`)
    // Several chunks, as a network stream would deliver them.
    for (let offset = 0; offset < data.byteLength; offset += 1000) yield data.subarray(offset, offset + 1000)
  }

  async write(url: string, data: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks: Uint8Array[] = []
    for await (const chunk of data) chunks.push(chunk)
    this.files.set(url, Buffer.concat(chunks))
  }
}

export interface TestExeUnit {
  exeUnit: ExeUnit
  dataDir: string
  key: NodeKey
  close: () => Promise<void>
}

export async function startExeUnit(options: Partial<ExeUnitOptions> = {}): Promise<TestExeUnit> {
  const dataDir = await tempDir()
  const key = NodeKey.random()
  const exeUnit = new ExeUnit({
    dataDir,
    nodeId: key.nodeId,
    sign: resultSigner(key),
    docker: false,
    allowPrivateNetworks: true,
    ...options
  })
  await exeUnit.start()
  return {
    exeUnit,
    dataDir,
    key,
    close: async () => {
      await exeUnit.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

/** Publishes a module on the file server and returns its task package string. */
export async function publishModule(server: FileServer, name: string, bytes?: Buffer): Promise<string> {
  bytes ??= await buildWasm(name)
  server.files.set(`/${name}.wasm`, bytes)
  return `hash:sha3:${sha3(bytes)}:${server.url}${name}.wasm`
}

export function wasmProperties(taskPackage: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'golem.runtime.name': 'wasmtime',
    'golem.srv.comp.task_package': taskPackage,
    'golem.inf.mem.gib': 0.0625,
    'golem.inf.cpu.threads': 1,
    'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib'],
    ...extra
  }
}

let counter = 0
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}-${Date.now().toString(36)}`
}

/** Runs a batch to its end and returns every result. */
export async function runBatch(exeUnit: ExeUnit, activityId: string, script: unknown[], timeoutMs = 20_000): Promise<ExeScriptCommandResult[]> {
  const batchId = exeUnit.exec(activityId, JSON.stringify(script))
  const results = await exeUnit.getBatchResults(activityId, batchId, { timeoutMs })
  if (results.at(-1)?.isBatchFinished !== true) throw new Error(`batch did not finish in ${timeoutMs} ms: ${JSON.stringify(results)}`)
  return results
}

export const DEPLOY_START = [{ deploy: {} }, { start: { args: [] } }]

export async function writeText(path: string, text: string): Promise<void> {
  await writeFile(path, text)
}

/**
 * A WASI module writing `repeats` blocks of `blockBytes` letters "x", to stdout
 * or to a file it creates in /work; it exits with the errno of the first
 * write that fails.
 */
export async function writerModule(options: { to: 'stdout' | { file: string }; blockBytes: number; repeats: number }): Promise<Buffer> {
  const { blockBytes, repeats } = options
  const file = options.to === 'stdout' ? null : options.to.file
  const pages = Math.ceil((1024 + blockBytes) / 65536) + 1
  const open =
    file === null
      ? '(i32.store (i32.const 16) (i32.const 1))'
      : `(local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const ${Buffer.byteLength(file)})
        (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 16)))
      (if (local.get $errno) (then (call $proc_exit (local.get $errno))))`
  return await buildWat(
    'writer.wat',
    `(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") ${pages})
  (data (i32.const 64) "${file ?? ''}")
  ;; layout: 0 iovec, 8 written, 16 fd, 64 file name, 1024 block
  (func (export "_start")
    (local $i i32)
    (local $errno i32)
    (block $filled (loop $fill
      (br_if $filled (i32.ge_u (local.get $i) (i32.const ${blockBytes})))
      (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.const 120))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    ${open}
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const ${blockBytes}))
    (local.set $i (i32.const 0))
    (block $written (loop $write
      (br_if $written (i32.ge_u (local.get $i) (i32.const ${repeats})))
      (local.set $errno (call $fd_write (i32.load (i32.const 16)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (local.get $errno) (then (call $proc_exit (local.get $errno))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $write)))))`
  )
}
