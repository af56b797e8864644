// Runs the agora CLI and `agora service run` as child processes, as a user
// would, with none of the AGORA_* settings of the machine running the tests.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const MAIN = fileURLToPath(new URL('../../daemon/cli/main.ts', import.meta.url))

// The children see no AGORA_* settings of the machine running the tests.
export function childEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AGORA_')) env[name] = value
  return { ...env, AGORA_KEYSTORE_COST: 'light', ...extra }
}

export interface Result { code: number | null, stdout: string, stderr: string }

export function agora (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

export interface Daemon {
  child: ChildProcess
  url: string
  log: Array<Record<string, unknown>>
  exited: Promise<number | null>
}

/** The built program (`npm run build`), as the `agora` bin runs it. */
export const BUILT_MAIN = fileURLToPath(new URL('../../dist/daemon/cli/main.js', import.meta.url))

/** Starts `agora service run` and waits for its "api listening" log line. */
export function startDaemon (dataDir: string, env: NodeJS.ProcessEnv = {}, main = MAIN): Promise<Daemon> {
  const child = spawn(process.execPath, [
    main, 'service', 'run', '--data-dir', dataDir, '--api-addr', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'
  ], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const log: Array<Record<string, unknown>> = []
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve, reject) => {
    let pending = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const record = JSON.parse(line) as Record<string, unknown>
        log.push(record)
        if (record.msg === 'api listening') resolve({ child, url: String(record.url), log, exited })
      }
    })
    void exited.then(code => { reject(new Error(`daemon exited with ${code}: ${stderr}`)) })
  })
}
