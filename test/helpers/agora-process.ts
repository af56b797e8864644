// Runs the agora CLI and `agora service run` as child processes, as a user
// would, with none of the AGORA_* settings of the machine running the tests.
// Every child is tracked until it exits: `reapChildren()` (an afterEach hook of
// every file that spawns) ends the ones a test left, whatever its outcome, and
// they are killed when the test process exits.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export const MAIN = fileURLToPath(new URL('../../daemon/cli/main.ts', import.meta.url))

/** The built program (`npm run build`), as the `agora` bin runs it. */
export const BUILT_MAIN = fileURLToPath(new URL('../../dist/daemon/cli/main.js', import.meta.url))

/** How long a child asked to stop (SIGTERM) may take before it is killed. */
const GRACE_MS = 5_000

const children = new Set<ChildProcess>()

function tracked(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => {
    children.delete(child)
  })
  // A child that could not be spawned never exits.
  child.once('error', () => {
    if (child.pid === undefined) children.delete(child)
  })
  return child
}

// Whatever ends this process (mocha's exit, a crash), its children go with it.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** Children spawned by these helpers that are still running. */
export function liveChildren(): ChildProcess[] {
  return [...children].filter(child => child.exitCode === null && child.signalCode === null)
}

/** Ends every child still running: SIGTERM, then SIGKILL after a grace; resolves once all have exited. */
export async function reapChildren(graceMs = GRACE_MS): Promise<void> {
  await Promise.all(
    liveChildren().map(async child => {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
      }, graceMs)
      try {
        await exited
      } finally {
        clearTimeout(timer)
      }
    })
  )
}

/** Spawns the CLI (the source unless `main` says otherwise) with a clean environment, in `cwd` when given. */
export function spawnAgora(args: string[], env: NodeJS.ProcessEnv = {}, main = MAIN, cwd?: string): ChildProcess {
  return tracked(spawn(process.execPath, [main, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) }))
}

/**
 * Spawns the CLI under a command that runs it elsewhere, e.g. `ip netns exec
 * <namespace>` (which execs it: the child's pid is the CLI's own, so reaping
 * it ends the CLI).
 */
export function spawnAgoraUnder(prefix: string[], args: string[], env: NodeJS.ProcessEnv = {}, main = MAIN): ChildProcess {
  const [command, ...rest] = prefix
  if (command === undefined) return spawnAgora(args, env, main)
  return tracked(spawn(command, [...rest, process.execPath, main, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }))
}

// The children see no AGORA_* settings of the machine running the tests.
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AGORA_')) env[name] = value
  return { ...env, AGORA_KEYSTORE_COST: 'light', ...extra }
}

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a CLI command to its end (in `cwd` when given). */
export function agora(args: string[], env: NodeJS.ProcessEnv = {}, main = MAIN, cwd?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawnAgora(args, env, main, cwd)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface Daemon {
  child: ChildProcess
  url: string
  log: Array<Record<string, unknown>>
  exited: Promise<number | null>
}

export interface DaemonProcess {
  child: ChildProcess
  log: Array<Record<string, unknown>>
  /** Resolves with the first log record that passes `test` (rejects if the daemon exits first). */
  logged: (test: (record: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
  exited: Promise<number | null>
  stderr: () => string
}

/** Spawns `agora service run` on loopback with ephemeral ports, following its log. */
export function spawnDaemon(dataDir: string, env: NodeJS.ProcessEnv = {}, main = MAIN, extraArgs: string[] = []): DaemonProcess {
  return followDaemon(
    spawnAgora(['service', 'run', '--data-dir', dataDir, '--api-addr', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', ...extraArgs], env, main)
  )
}

/** Spawns `agora service run` with exactly `args` (addresses included) under `prefix` (see spawnAgoraUnder), following its log. */
export function spawnDaemonUnder(prefix: string[], dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): DaemonProcess {
  return followDaemon(spawnAgoraUnder(prefix, ['service', 'run', '--data-dir', dataDir, ...args], env))
}

function followDaemon(child: ChildProcess): DaemonProcess {
  const log: Array<Record<string, unknown>> = []
  const waiters: Array<{ test: (record: Record<string, unknown>) => boolean; resolve: (record: Record<string, unknown>) => void }> = []
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => {
      resolve(code)
    })
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  let pending = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>
      log.push(record)
      for (const waiter of [...waiters]) {
        if (!waiter.test(record)) continue
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(record)
      }
    }
  })
  const logged = async (test: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const seen = log.find(test)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      waiters.push({ test, resolve })
      void exited.then(code => {
        reject(new Error(`daemon exited with ${code} first: ${stderr}`))
      })
    })
  }
  return { child, log, logged, exited, stderr: () => stderr }
}

/** Starts `agora service run` and waits for its "api listening" log line. */
export async function startDaemon(dataDir: string, env: NodeJS.ProcessEnv = {}, main = MAIN): Promise<Daemon> {
  const daemon = spawnDaemon(dataDir, env, main)
  const listening = await daemon.logged(record => record.msg === 'api listening')
  return { child: daemon.child, url: String(listening.url), log: daemon.log, exited: daemon.exited }
}
