import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { access } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { childEnv } from '../helpers/agora-process.ts'

const DEMO = fileURLToPath(new URL('../../daemon/demo.ts', import.meta.url))

interface DemoRun {
  readonly child: ChildProcess
  /** Resolves with the first stdout line matching `pattern` (its match). */
  line(pattern: RegExp): Promise<RegExpMatchArray>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>
}

function startDemo(): DemoRun {
  const child = spawn(process.execPath, [DEMO], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = []
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk
    for (const waiter of [...waiters]) {
      const match = stdout.match(waiter.pattern)
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(match)
      }
    }
  })
  child.stderr!.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>(resolve => {
    child.once('exit', (code, signal) => resolve({ code, signal, stdout }))
  })
  return {
    child,
    exited,
    line: async pattern =>
      await Promise.race([
        new Promise<RegExpMatchArray>(resolve => {
          const match = stdout.match(pattern)
          if (match !== null) resolve(match)
          else waiters.push({ pattern, resolve })
        }),
        exited.then(({ stdout: all }) => {
          throw new Error(`the demo exited before printing ${pattern}:\n${all}`)
        })
      ])
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function gone(path: string): Promise<boolean> {
  return await access(path).then(
    () => false,
    () => true
  )
}

describe('npm run demo', function () {
  this.timeout(300_000)
  const runs: DemoRun[] = []
  // Whatever a test's outcome, no demo outlives it.
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await run.exited
    }
  })

  it('starts the chain and four daemons, funds them, reports balances, and leaves nothing running', async () => {
    const run = startDemo()
    runs.push(run)
    const [, dir] = await run.line(/demo data in (\S+)/)
    const [, pid] = await run.line(/dev chain process (\d+)/)
    const { code, stdout } = await run.exited
    assert.equal(code, 0, stdout)
    for (const name of ['provider-1', 'provider-2', 'provider-3', 'requester'])
      assert.match(stdout, new RegExp(`${name}: node 0x[0-9a-f]{40}, REST API http://127\\.0\\.0\\.1:\\d+`))
    assert.match(stdout, /Token balances on chain:\nPARTY +ADDRESS +BEFORE +AFTER +CHANGE/)
    assert.match(stdout, /requester +0x[0-9a-f]{40} +1000 /)
    assert.match(stdout, /stopped: nothing is left running\n\ndemo done/)
    assert.equal(alive(Number(pid)), false, 'the dev chain is stopped')
    assert.ok(await gone(dir!), 'the demo data is removed')
  })

  it('stops cleanly on Ctrl-C: exit code 130, the chain and the daemons stopped, the data removed', async () => {
    const run = startDemo()
    runs.push(run)
    const [, dir] = await run.line(/demo data in (\S+)/)
    const [, pid] = await run.line(/dev chain process (\d+)/)
    run.child.kill('SIGINT')
    const { code, stdout } = await run.exited
    assert.equal(code, 130, stdout)
    assert.match(stdout, /SIGINT: stopping cleanly/)
    assert.match(stdout, /stopped: nothing is left running\n\ndemo stopped: stopped by SIGINT/)
    assert.equal(alive(Number(pid)), false, 'the dev chain is stopped')
    assert.ok(await gone(dir!), 'the demo data is removed')
  })

  it('stops at once on a second Ctrl-C, and the dev chain dies with it', async () => {
    const run = startDemo()
    runs.push(run)
    const [, pid] = await run.line(/dev chain process (\d+)/)
    run.child.kill('SIGINT')
    await run.line(/SIGINT: stopping cleanly/)
    run.child.kill('SIGINT')
    const { code } = await run.exited
    assert.equal(code, 1)
    // The chain's watch process kills it once this process is gone: waited on, not slept for.
    const deadline = Date.now() + 30_000
    while (alive(Number(pid)) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(alive(Number(pid)), false, 'the dev chain died with the demo')
  })
})
