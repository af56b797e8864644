// The demo's workload: a tiny WASI module, compiled from text here and served
// on loopback as a Golem task package (`hash:sha3:<digest>:<url>`).
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import wabtFactory from 'wabt'

const MESSAGE = 'hello from a WASI sandbox on the provider\n'

// _start writes MESSAGE to stdout with one fd_write and returns (exit code 0).
const HELLO_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) ${JSON.stringify(MESSAGE).replace('\\n', '\\0a')})
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const ${Buffer.byteLength(MESSAGE)}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`

export interface ServedPackage {
  taskPackage: string
  close: () => Promise<void>
}

export async function serveHelloPackage(): Promise<ServedPackage> {
  const wabt = await wabtFactory()
  const module = wabt.parseWat('hello.wat', HELLO_WAT)
  const bytes = Buffer.from(module.toBinary({}).buffer)
  module.destroy()
  const server = createServer((request, response) => {
    if (request.url !== '/hello.wasm') return response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.byteLength }).end(bytes)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const digest = createHash('sha3-256').update(bytes).digest('hex')
  return {
    taskPackage: `hash:sha3:${digest}:http://127.0.0.1:${port}/hello.wasm`,
    close: async () => {
      await new Promise(resolve => server.close(resolve))
    }
  }
}
