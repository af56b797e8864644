// WASI modules for the workflow tests, built from WAT: each writes one output
// naming its step and the inputs it read, so a result shows the path the data took.
import { buildWat } from '../exe-unit/helpers.ts'

/** A WASI module writing /out/<out>: `tag(` then each /in/<input> then `)`. Preopens: /in is fd 3, /out fd 4. */
export async function tagModule(out: string, tag: string, inputs: readonly string[]): Promise<Buffer> {
  const names = [out, `${tag}(`, ')', ...inputs]
  let offset = 64
  const at: number[] = []
  const data = names.map(name => {
    at.push(offset)
    const text = `(data (i32.const ${offset}) "${name}")`
    offset += Buffer.byteLength(name) + 1
    return text
  })
  const write = (address: number, length: number): string => `
    (i32.store (i32.const 0) (i32.const ${address})) (i32.store (i32.const 4) (i32.const ${length}))
    (drop (call $fd_write (local.get $out) (i32.const 0) (i32.const 1) (i32.const 8)))`
  const copy = (index: number): string => {
    const name = inputs[index]!
    return `
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const ${at[3 + index]}) (i32.const ${Buffer.byteLength(name)}) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16))
      (then (call $proc_exit (i32.const 21))))
    (i32.store (i32.const 0) (i32.const 4096)) (i32.store (i32.const 4) (i32.const 8192))
    (drop (call $fd_read (i32.load (i32.const 16)) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (local.get $out) (i32.const 0) (i32.const 1) (i32.const 8)))`
  }
  return await buildWat(
    `${tag}.wat`,
    `(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ${data.join('\n  ')}
  (func (export "_start")
    (local $out i32)
    (if (call $path_open (i32.const 4) (i32.const 0) (i32.const ${at[0]}) (i32.const ${Buffer.byteLength(out)}) (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 16))
      (then (call $proc_exit (i32.const 20))))
    (local.set $out (i32.load (i32.const 16)))
    ${write(at[1]!, Buffer.byteLength(`${tag}(`))}
    ${inputs.map((_, i) => copy(i)).join('')}
    ${write(at[2]!, 1)}))`
  )
}
