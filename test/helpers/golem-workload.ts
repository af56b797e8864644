// The workloads a Golem client runs in the compatibility tests, served on
// loopback with the SHA3-224 digest Golem's images carry (golem-js asks for
// `imageUrl` + `imageHash`): a small WASI command compiled from text here, or
// any package the caller built (a GVMI).
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import wabtFactory from 'wabt'

// `probe <code> <words…>` writes the words to stdout, separated by spaces and
// ended by a newline, then exits with <code> (one digit).
const PROBE_WAT = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 32) " ")
  (data (i32.const 33) "\\n")
  ;; layout: 0 argc, 4 buf size, 8 iovec, 16 nwritten, 1024 argv pointers, 8192 argv strings
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 8) (local.get $ptr))
    (i32.store (i32.const 12) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16))))
  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
  (func (export "_start")
    (local $i i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 8192)))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2)) (then (call $proc_exit (i32.const 2))))
    (local.set $i (i32.const 2))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0))))
        (if (i32.gt_u (local.get $i) (i32.const 2))
          (then (call $write (i32.const 32) (i32.const 1))))
        (call $write (call $arg (local.get $i)) (call $strlen (call $arg (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $write (i32.const 33) (i32.const 1))
    (call $proc_exit (i32.sub (i32.load8_u (call $arg (i32.const 1))) (i32.const 48)))))`

export interface ServedWorkload {
  /** Where the package is served (http on loopback). */
  imageUrl: string
  /** Its SHA3-224 digest, hex. */
  imageHash: string
  close: () => Promise<void>
}

/** Serves one package on loopback, named as golem-js names images: by URL and SHA3-224 digest. */
export async function serveWorkload(name: string, bytes: Buffer): Promise<ServedWorkload> {
  const server = createServer((request, response) => {
    if (request.url !== `/${name}`) return response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength }).end(bytes)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    imageUrl: `http://127.0.0.1:${port}/${name}`,
    imageHash: createHash('sha3-224').update(bytes).digest('hex'),
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

/** The probe command (see PROBE_WAT) as WASI module bytes. */
export async function probeWasm(): Promise<Buffer> {
  const wabt = await wabtFactory()
  const module = wabt.parseWat('probe.wat', PROBE_WAT)
  try {
    return Buffer.from(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

/** The probe command (see PROBE_WAT) as a WASI module. */
export async function serveProbeWorkload(): Promise<ServedWorkload> {
  return await serveWorkload('probe.wasm', await probeWasm())
}
