// The demo's WASI workload, compiled from text here: `shout <word>` writes the
// word in capitals and a newline to stdout. It is served on loopback as a Golem
// task package (`hash:sha3:<digest>:<url>`) and written as a local .wasm file.
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import wabtFactory from 'wabt'

// Layout: 0 argc, 4 buf size, 8 iovec, 16 nwritten, 32 newline, 1024 argv pointers, 8192 argv strings.
const SHOUT_WAT = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 32) "\\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 8) (local.get $ptr))
    (i32.store (i32.const 12) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16))))
  (func (export "_start")
    (local $p i32)
    (local $n i32)
    (local $c i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 8192)))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2)) (then (call $proc_exit (i32.const 2))))
    (local.set $p (i32.load (i32.const 1028)))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $n))))
        (br_if $done (i32.eqz (local.get $c)))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (i32.add (local.get $p) (local.get $n)) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (call $write (local.get $p) (local.get $n))
    (call $write (i32.const 32) (i32.const 1))))`

/** What the workload answers for `word`: the expected result of one task. */
export function shouted(word: string): string {
  return `${word.replace(/[a-z]/g, letter => letter.toUpperCase())}\n`
}

export interface DemoWorkload {
  /** The Golem task package, served over HTTP. */
  readonly taskPackage: string
  /** The same module as a local file. */
  readonly wasmPath: string
  close(): Promise<void>
}

/** Serves the workload on `host` (loopback unless another network must reach it). */
export async function serveWorkload(dir: string, host = '127.0.0.1'): Promise<DemoWorkload> {
  const wabt = await wabtFactory()
  const module = wabt.parseWat('shout.wat', SHOUT_WAT)
  const bytes = Buffer.from(module.toBinary({}).buffer)
  module.destroy()
  const wasmPath = join(dir, 'shout.wasm')
  await writeFile(wasmPath, bytes)
  const server = createServer((request, response) => {
    if (request.url !== '/shout.wasm') return response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.byteLength }).end(bytes)
  })
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  const digest = createHash('sha3-256').update(bytes).digest('hex')
  return {
    taskPackage: `hash:sha3:${digest}:http://${host}:${port}/shout.wasm`,
    wasmPath,
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
