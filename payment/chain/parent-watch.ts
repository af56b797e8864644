// A child that must die with this process, however this process dies. An
// exit hook misses a default SIGTERM or SIGINT and can never see a SIGKILL, so
// a small watch process holds the read end of a pipe from this one: the kernel
// closes the pipe whatever ended this process, and the watch then kills the
// child and exits. The watch is ended when the child exits first.
import { type ChildProcess, spawn } from 'node:child_process'

// Plain JavaScript run by `node -e`: it reads the pid to guard from its first
// line on stdin and kills it when stdin ends (or fails, which is the same).
const WATCH_SOURCE = `
let input = ''
let pid = 0
const end = () => {
  if (pid > 0) try { process.kill(pid, 'SIGKILL') } catch {}
  process.exit(0)
}
process.stdin.setEncoding('utf8')
process.stdin.on('data', chunk => {
  input += chunk
  const line = input.indexOf('\\n')
  if (pid === 0 && line >= 0) pid = Number(input.slice(0, line)) || 0
})
process.stdin.on('end', end)
process.stdin.on('error', end)
`

export interface ParentWatch {
  /** The watch process's pid (for tests). */
  readonly pid: number | undefined
  /** Ends the watch without touching the child: call it once the child has exited. */
  release(): void
}

/** Starts a watch that kills `child` with SIGKILL as soon as this process is gone. */
export function killWithParent(child: ChildProcess): ParentWatch {
  const { NODE_OPTIONS: _options, ...env } = process.env
  const watch = spawn(process.execPath, ['-e', WATCH_SOURCE], { stdio: ['pipe', 'ignore', 'ignore'], env })
  // Neither the watch nor its pipe keeps this process alive.
  watch.unref()
  watch.on('error', () => undefined)
  const stdin = watch.stdin
  stdin?.on('error', () => undefined)
  if (child.pid !== undefined) stdin?.write(`${child.pid}\n`)
  ;(stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return {
    get pid() {
      return watch.pid
    },
    release() {
      if (watch.exitCode === null && watch.signalCode === null) watch.kill('SIGKILL')
      stdin?.destroy()
    }
  }
}
