// Read-only preopens for node:wasi, which has none of its own: the file
// descriptors that descend from a read-only preopen (opened under it,
// renumbered from it) are tracked, what they open gets no write rights, and
// every call that would change a file or directory through them is refused.
// biome-ignore lint/suspicious/noExplicitAny: WASI imports take whatever numbers and bigints their signature has
type AnyWasiFunction = (...args: any[]) => number

/** The file system is read-only (WASI errno). */
export const ERRNO_ROFS = 69
const ERRNO_SUCCESS = 0

/** path_open's oflags that would create or empty a file. */
const OFLAGS_CREAT = 1
const OFLAGS_EXCL = 4
const OFLAGS_TRUNC = 8

/** Every right that lets a descriptor (or what it opens) change the file system. */
const WRITE_RIGHTS =
  (1n << 0n) | // fd_datasync
  (1n << 4n) | // fd_sync
  (1n << 6n) | // fd_write
  (1n << 8n) | // fd_allocate
  (1n << 9n) | // path_create_directory
  (1n << 10n) | // path_create_file
  (1n << 11n) | // path_link_source
  (1n << 12n) | // path_link_target
  (1n << 16n) | // path_rename_source
  (1n << 17n) | // path_rename_target
  (1n << 19n) | // path_filestat_set_size
  (1n << 20n) | // path_filestat_set_times
  (1n << 22n) | // fd_filestat_set_size
  (1n << 23n) | // fd_filestat_set_times
  (1n << 24n) | // path_symlink
  (1n << 25n) | // path_remove_directory
  (1n << 26n) // path_unlink_file

/** Calls whose first argument is a descriptor they would write through. */
const WRITES_BY_FIRST_FD = [
  'fd_write',
  'fd_pwrite',
  'fd_allocate',
  'fd_filestat_set_size',
  'fd_filestat_set_times',
  'path_create_directory',
  'path_filestat_set_times',
  'path_remove_directory',
  'path_unlink_file'
] as const

export interface ReadOnlyFds {
  /** Whether `fd` descends from a read-only preopen. */
  has: (fd: number) => boolean
  /** Wraps `imports` (already wrapped for other reasons) with the read-only checks. */
  wrap: (imports: Record<string, AnyWasiFunction>) => Record<string, AnyWasiFunction>
}

/**
 * `fds` are the read-only preopens' descriptors; `memory` reads the
 * instance's memory once it exists (path_open writes the new fd there).
 */
export function readOnlyFds(fds: readonly number[], memory: () => ArrayBuffer | undefined): ReadOnlyFds {
  const readOnly = new Set(fds)
  const has = (fd: number): boolean => readOnly.has(fd)
  const wrap = (imports: Record<string, AnyWasiFunction>): Record<string, AnyWasiFunction> => {
    const call = (name: string): AnyWasiFunction => imports[name] as AnyWasiFunction
    const wrapped: Record<string, AnyWasiFunction> = { ...imports }
    for (const name of WRITES_BY_FIRST_FD) {
      const inner = call(name)
      wrapped[name] = (fd: number, ...rest: unknown[]) => (has(fd) ? ERRNO_ROFS : inner(fd, ...rest))
    }
    const rename = call('path_rename')
    wrapped.path_rename = (fd: number, oldPath: number, oldLength: number, newFd: number, ...rest: unknown[]) =>
      has(fd) || has(newFd) ? ERRNO_ROFS : rename(fd, oldPath, oldLength, newFd, ...rest)
    const link = call('path_link')
    wrapped.path_link = (oldFd: number, flags: number, oldPath: number, oldLength: number, newFd: number, ...rest: unknown[]) =>
      has(oldFd) || has(newFd) ? ERRNO_ROFS : link(oldFd, flags, oldPath, oldLength, newFd, ...rest)
    const symlink = call('path_symlink')
    wrapped.path_symlink = (oldPath: number, oldLength: number, fd: number, ...rest: unknown[]) =>
      has(fd) ? ERRNO_ROFS : symlink(oldPath, oldLength, fd, ...rest)
    const open = call('path_open')
    wrapped.path_open = (
      fd: number,
      dirflags: number,
      path: number,
      pathLength: number,
      oflags: number,
      rightsBase: bigint,
      rightsInheriting: bigint,
      fdflags: number,
      openedPtr: number
    ) => {
      if (!has(fd)) return open(fd, dirflags, path, pathLength, oflags, rightsBase, rightsInheriting, fdflags, openedPtr)
      if ((oflags & (OFLAGS_CREAT | OFLAGS_EXCL | OFLAGS_TRUNC)) !== 0) return ERRNO_ROFS
      const errno = open(
        fd,
        dirflags,
        path,
        pathLength,
        oflags,
        BigInt(rightsBase) & ~WRITE_RIGHTS,
        BigInt(rightsInheriting) & ~WRITE_RIGHTS,
        fdflags,
        openedPtr
      )
      const buffer = memory()
      if (errno === ERRNO_SUCCESS && buffer !== undefined) readOnly.add(new DataView(buffer).getUint32(openedPtr, true))
      return errno
    }
    const renumber = call('fd_renumber')
    wrapped.fd_renumber = (from: number, to: number) => {
      const errno = renumber(from, to)
      if (errno === ERRNO_SUCCESS) {
        // `to` now is what `from` was; `from` is closed.
        if (readOnly.delete(from)) readOnly.add(to)
        else readOnly.delete(to)
      }
      return errno
    }
    const close = call('fd_close')
    wrapped.fd_close = (fd: number) => {
      const errno = close(fd)
      // A closed number may come back for a writable file.
      if (errno === ERRNO_SUCCESS) readOnly.delete(fd)
      return errno
    }
    return wrapped
  }
  return { has, wrap }
}
