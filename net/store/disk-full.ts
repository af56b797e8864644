// A full disk is the one storage failure a caller can act on (free space, then
// retry), so it is told apart from every other fault.

/**
 * Whether `err` (or one of its causes) says the disk is full: ENOSPC from the
 * file system, or LevelDB's IO error, which carries no errno of its own and
 * names it only in its text (the C library's strerror).
 */
export function isDiskFull(err: unknown): boolean {
  for (let cause = err; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (code === 'ENOSPC') return true
    if (code === 'LEVEL_IO_ERROR' && /no space left on device/i.test(cause.message)) return true
  }
  return false
}
