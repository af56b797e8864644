// WASI test programs written step by step: each step is one WASI call whose
// errno the program prints to stdout ("0 69 0 …"), so a test states what every
// call must answer. Preopens, in the order the runtime gives them: 3 = /work,
// 4 = /data, 5 = /out.
import { buildWat } from '../exe-unit/helpers.ts'

export const FD = { work: 3, data: 4, out: 5 } as const
export const OFLAGS = { creat: 1, directory: 2, excl: 4, trunc: 8 } as const
export const RIGHTS = {
  read: 1n << 1n,
  write: 1n << 6n,
  /** Everything a directory may hand down. */
  all: (1n << 28n) - 1n
} as const
export const ERRNO = { success: 0, rofs: 69, notcapable: 76 } as const

/** A descriptor: a number, or what an earlier open stored in a slot. */
export type Fd = number | { slot: number }

const READ_BUFFER = 8192
const READ_BUFFER_BYTES = 32768
const REPORT = 49152
/** Strings live in the second page and the third. */
const STRINGS = 65536
const STRINGS_END = 3 * 65536

export class WasiProgram {
  readonly #data: string[] = []
  readonly #steps: string[] = []
  #next = STRINGS

  #string(text: string): { ptr: number; len: number } {
    const bytes = Buffer.from(text)
    const ptr = this.#next
    this.#next += bytes.byteLength + 1
    if (this.#next > STRINGS_END) throw new Error('the program has too many strings')
    const escaped = [...bytes].map(byte => `\\${byte.toString(16).padStart(2, '0')}`).join('')
    this.#data.push(`(data (i32.const ${ptr}) "${escaped}")`)
    return { ptr, len: bytes.byteLength }
  }

  #fd(fd: Fd): string {
    return typeof fd === 'number' ? `(i32.const ${fd})` : `(i32.load (i32.const ${16 + 4 * fd.slot}))`
  }

  #step(expression: string): this {
    this.#steps.push(`(call $report ${expression})`)
    return this
  }

  open(dir: Fd, path: string, options: { slot: number; oflags?: number; rights?: bigint; follow?: boolean }): this {
    const { ptr, len } = this.#string(path)
    const rights = options.rights ?? RIGHTS.read
    return this.#step(
      `(call $path_open ${this.#fd(dir)} (i32.const ${options.follow === false ? 0 : 1}) (i32.const ${ptr}) (i32.const ${len}) (i32.const ${options.oflags ?? 0}) (i64.const ${rights}) (i64.const ${rights}) (i32.const 0) (i32.const ${16 + 4 * options.slot}))`
    )
  }

  /** Reads up to 32 KiB into the buffer (its length kept for writeBuffer). */
  read(fd: Fd): this {
    return this.#step(
      `(block (result i32) (i32.store (i32.const 48) (i32.const ${READ_BUFFER})) (i32.store (i32.const 52) (i32.const ${READ_BUFFER_BYTES})) (call $fd_read ${this.#fd(fd)} (i32.const 48) (i32.const 1) (i32.const 56)))`
    )
  }

  /** Fills the buffer with `length` bytes "x" (counts as a step answering 0). */
  fill(length: number): this {
    if (length > READ_BUFFER_BYTES) throw new Error('at most 32 KiB')
    return this.#step(`(call $fill (i32.const ${length}))`)
  }

  writeBuffer(fd: Fd, times = 1): this {
    return this.#step(`(call $write_buffer ${this.#fd(fd)} (i32.const ${times}))`)
  }

  writeText(fd: Fd, text: string): this {
    const { ptr, len } = this.#string(text)
    return this.#step(
      `(block (result i32) (i32.store (i32.const 0) (i32.const ${ptr})) (i32.store (i32.const 4) (i32.const ${len})) (call $fd_write ${this.#fd(fd)} (i32.const 0) (i32.const 1) (i32.const 8)))`
    )
  }

  /** Any other call, named by its import and its WAT arguments (strings become pointer and length). */
  call(name: keyof typeof IMPORTS, ...args: (Fd | string | bigint)[]): this {
    const wat = args.map(arg => {
      if (typeof arg === 'string') {
        const { ptr, len } = this.#string(arg)
        return `(i32.const ${ptr}) (i32.const ${len})`
      }
      if (typeof arg === 'bigint') return `(i64.const ${arg})`
      return this.#fd(arg)
    })
    return this.#step(`(call $${name} ${wat.join(' ')})`)
  }

  /** Spins `iterations` times (the long run of the timing channel). */
  spin(iterations: number): this {
    return this.#step(`(call $spin (i32.const ${iterations}))`)
  }

  async build(exitCode = 0): Promise<Buffer> {
    const imports = Object.entries(IMPORTS)
      .map(([name, signature]) => `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${signature}))`)
      .join('\n  ')
    return await buildWat(
      'program.wat',
      `(module
  ${imports}
  (memory (export "memory") 3)
  ${this.#data.join('\n  ')}
  (func $report (param $n i32)
    (local $pos i32) (local $start i32) (local $end i32) (local $t i32)
    (local.set $pos (i32.add (i32.const ${REPORT}) (i32.load (i32.const 60))))
    (local.set $start (local.get $pos))
    (loop $digits
      (i32.store8 (local.get $pos) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (local.set $end (i32.sub (local.get $pos) (i32.const 1)))
    (block $done (loop $reverse
      (br_if $done (i32.ge_u (local.get $start) (local.get $end)))
      (local.set $t (i32.load8_u (local.get $start)))
      (i32.store8 (local.get $start) (i32.load8_u (local.get $end)))
      (i32.store8 (local.get $end) (local.get $t))
      (local.set $start (i32.add (local.get $start) (i32.const 1)))
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (br $reverse)))
    (i32.store8 (local.get $pos) (i32.const 32))
    (i32.store (i32.const 60) (i32.sub (i32.add (local.get $pos) (i32.const 1)) (i32.const ${REPORT}))))
  (func $fill (param $length i32) (result i32)
    (local $i i32)
    (block $filled (loop $next
      (br_if $filled (i32.ge_u (local.get $i) (local.get $length)))
      (i32.store8 (i32.add (i32.const ${READ_BUFFER}) (local.get $i)) (i32.const 120))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 56) (local.get $length))
    (i32.const 0))
  (func $write_buffer (param $fd i32) (param $times i32) (result i32)
    (local $errno i32)
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $times)))
      (i32.store (i32.const 0) (i32.const ${READ_BUFFER}))
      (i32.store (i32.const 4) (i32.load (i32.const 56)))
      (local.set $errno (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $done (local.get $errno))
      (local.set $times (i32.sub (local.get $times) (i32.const 1)))
      (br $again)))
    (local.get $errno))
  (func $spin (param $n i32) (result i32)
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $again)))
    (i32.const 0))
  (func (export "_start")
    ${this.#steps.join('\n    ')}
    (i32.store (i32.const 0) (i32.const ${REPORT}))
    (i32.store (i32.const 4) (i32.load (i32.const 60)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const ${exitCode}))))`
    )
  }
}

const IMPORTS = {
  path_open: '(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)',
  fd_read: '(param i32 i32 i32 i32) (result i32)',
  fd_write: '(param i32 i32 i32 i32) (result i32)',
  fd_pwrite: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_close: '(param i32) (result i32)',
  fd_renumber: '(param i32 i32) (result i32)',
  fd_allocate: '(param i32 i64 i64) (result i32)',
  fd_filestat_set_size: '(param i32 i64) (result i32)',
  fd_filestat_set_times: '(param i32 i64 i64 i32) (result i32)',
  path_create_directory: '(param i32 i32 i32) (result i32)',
  path_remove_directory: '(param i32 i32 i32) (result i32)',
  path_unlink_file: '(param i32 i32 i32) (result i32)',
  path_rename: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  path_link: '(param i32 i32 i32 i32 i32 i32 i32) (result i32)',
  path_symlink: '(param i32 i32 i32 i32 i32) (result i32)',
  path_filestat_set_times: '(param i32 i32 i32 i32 i64 i64 i32) (result i32)',
  proc_exit: '(param i32)'
} as const
