// The few WASI preview1 calls the algorithms need, declared by hand so the
// module imports nothing but wasi_snapshot_preview1 functions.

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_sizes_get")
declare function args_sizes_get(argc: usize, argvBufSize: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_get")
declare function args_get(argv: usize, argvBuf: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, prestat: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(dirfd: u32, dirflags: u32, path: usize, pathLen: usize, oflags: u16, rightsBase: u64, rightsInheriting: u64, fdflags: u16, fd: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void

const STDERR: u32 = 2
const RIGHT_FD_READ: u64 = 1 << 1
const RIGHT_FD_SEEK: u64 = 1 << 2
const RIGHT_FD_WRITE: u64 = 1 << 6
const OFLAG_CREAT: u16 = 1
const OFLAG_TRUNC: u16 = 8

// Scratch for the calls' out-parameters and one iovec.
const scratch = memory.data(16)
const iovec = memory.data(8)

/** Writes a message and a newline to stderr and exits with `code`. */
export function fail(message: string, code: u32 = 1): void {
  const bytes = String.UTF8.encode(message + "\n")
  writeAll(STDERR, changetype<usize>(bytes), bytes.byteLength)
  proc_exit(code)
}

/** The runtime's abort (--use abort=…): a message on stderr, exit code 70. */
export function wasiAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const what = message === null ? "abort" : message
  const where = fileName === null ? "" : " at " + fileName + ":" + line.toString() + ":" + column.toString()
  fail("internal error: " + what + where, 70)
}

/** The command's arguments, without argv[0] (the entry point's name). */
export function commandArgs(): string[] {
  if (args_sizes_get(scratch, scratch + 4) != 0) fail("cannot read the arguments")
  const argc = load<u32>(scratch)
  const bufSize = load<u32>(scratch + 4)
  const argv = heap.alloc(<usize>argc * 4)
  const buf = heap.alloc(<usize>bufSize)
  if (args_get(argv, buf) != 0) fail("cannot read the arguments")
  const out = new Array<string>()
  for (let i: u32 = 1; i < argc; i++) {
    const start = load<u32>(argv + <usize>i * 4)
    let end = start
    while (load<u8>(end) != 0) end++
    out.push(String.UTF8.decodeUnsafe(start, end - start))
  }
  heap.free(argv)
  heap.free(buf)
  return out
}

/** The fd of the preopened directory `name` (e.g. "/data"), or fails. */
function preopen(name: string): u32 {
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, scratch) != 0) break
    const length = load<u32>(scratch + 4)
    const path = heap.alloc(<usize>length)
    fd_prestat_dir_name(fd, path, length)
    const dir = String.UTF8.decodeUnsafe(path, length)
    heap.free(path)
    if (dir == name) return fd
  }
  fail("no " + name + " directory is mounted")
  return 0
}

function open(dir: string, file: string, oflags: u16, rights: u64): u32 {
  const fdDir = preopen(dir)
  const path = String.UTF8.encode(file)
  const errno = path_open(fdDir, 0, changetype<usize>(path), path.byteLength, oflags, rights, 0, 0, scratch)
  if (errno != 0) fail("cannot open " + dir + "/" + file + " (WASI errno " + errno.toString() + ")")
  return load<u32>(scratch)
}

export function openForReading(dir: string, file: string): u32 {
  return open(dir, file, 0, RIGHT_FD_READ | RIGHT_FD_SEEK)
}

/** Reads up to `length` bytes into `into`; 0 at the end of the file. */
export function readSome(fd: u32, into: usize, length: usize): usize {
  store<u32>(iovec, <u32>into)
  store<u32>(iovec + 4, <u32>length)
  if (fd_read(fd, iovec, 1, scratch) != 0) fail("cannot read the data")
  return load<u32>(scratch)
}

function writeAll(fd: u32, from: usize, length: usize): void {
  let at = from
  let left = length
  while (left > 0) {
    store<u32>(iovec, <u32>at)
    store<u32>(iovec + 4, <u32>left)
    if (fd_write(fd, iovec, 1, scratch) != 0) proc_exit(74)
    const written = load<u32>(scratch)
    at += written
    left -= written
  }
}

/** Creates (or truncates) dir/file and writes `text` to it. */
export function writeFile(dir: string, file: string, text: string): void {
  const fd = open(dir, file, OFLAG_CREAT | OFLAG_TRUNC, RIGHT_FD_WRITE | RIGHT_FD_SEEK)
  const bytes = String.UTF8.encode(text)
  writeAll(fd, changetype<usize>(bytes), bytes.byteLength)
  fd_close(fd)
}

export function close(fd: u32): void {
  fd_close(fd)
}
