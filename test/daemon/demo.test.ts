import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { invoicedByProvider, paidByProvider } from '../../daemon/demo/ledger.ts'
import { runScenario } from '../../daemon/demo/scenario.ts'
import { shouted } from '../../daemon/demo/workload.ts'
import { parseAmount } from '../../payment/model/amounts.ts'
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
  // Whatever a test's outcome, no demo outlives it, nor its data (a demo
  // stopped at once, or killed, leaves its directory).
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      const { stdout } = await run.exited
      const dir = stdout.match(/demo data in (\S+)/)?.[1]
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    }
  })

  it('maps the WASI job across the providers through the SDK, and the balances move by exactly what the invoices say', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-demo-scenario-'))
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india']
    try {
      const lines: string[] = []
      const outcome = await runScenario({ dir, say: line => lines.push(line), signal: new AbortController().signal, words, container: false })
      const { script, ledger, before, after, parties } = outcome
      // Results in input order, each from one of the demo's providers.
      assert.deepEqual(
        script.tasks.map(task => task.result),
        words.map(word => shouted(word))
      )
      const providerNames = parties.filter(party => party.role === 'provider').map(party => party.name)
      for (const task of script.tasks) assert.ok(providerNames.includes(task.provider), task.provider)
      assert.ok(
        lines.some(line => /^task 9\/9 "india" started on provider-\d/.test(line)),
        lines.join('\n')
      )
      // Every rental ended with an invoice for what it cost, and every invoice is paid on chain.
      assert.ok(outcome.settled, 'every invoice settled')
      assert.ok(script.reports.length >= 1)
      // An agreement that never became a rental (a negotiation that fell through) was billed nothing.
      const rented = new Set(script.reports.map(report => report.agreementId))
      for (const report of script.reports) assert.ok(ledger.agreements.some(agreement => agreement.agreementId === report.agreementId))
      for (const invoice of ledger.invoices) {
        const agreement = ledger.agreements.find(candidate => candidate.agreementId === invoice.agreementId)
        assert.ok(
          rented.has(invoice.agreementId),
          `invoice ${JSON.stringify(invoice)} is for a rental; its agreement ${JSON.stringify(agreement)}; lines:\n${lines.join('\n')}`
        )
      }
      for (const report of script.reports) {
        const invoice = ledger.invoices.find(candidate => candidate.agreementId === report.agreementId)
        assert.ok(invoice !== undefined, `an invoice for ${report.agreementId}`)
        const amount = parseAmount(invoice.amount, 'amount')
        // An invoice that came after its rental's bound was answered by the daemon, within the mandate handed to it.
        if (report.invoiceMandate === undefined) assert.equal(amount, report.cost)
        else assert.ok(amount >= report.cost && amount <= report.invoiceMandate.maxAmount, `${amount} within the mandate`)
        assert.equal(invoice.status, 'SETTLED')
      }
      // On chain: each provider gained exactly its invoices, the requester lost exactly their sum.
      const invoiced = invoicedByProvider(ledger)
      const paid = paidByProvider(ledger)
      const total = [...invoiced.values()].reduce((a, b) => a + b, 0n)
      assert.ok(total > 0n, 'the work cost something')
      for (const party of parties) {
        const gained = after.get(party.name)!.token - before.get(party.name)!.token
        if (party.role === 'requester') assert.equal(-gained, total, 'the requester paid the invoices, no more')
        else {
          assert.equal(gained, invoiced.get(party.nodeId.toLowerCase()) ?? 0n, `${party.name} gained its invoices`)
          assert.equal(gained, paid.get(party.nodeId.toLowerCase()) ?? 0n, `${party.name} gained its payments`)
        }
      }
      for (const payment of ledger.payments) assert.match(payment.details, /^0x[0-9a-f]{64}$/)
    } finally {
      await rm(dir, { recursive: true, force: true })
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
    assert.match(stdout, /^ 1\. agora → AGORA {2}\(provider-\d\)$/m)
    assert.match(stdout, /^24\. leveldb → LEVELDB {2}\(provider-\d\)$/m)
    assert.match(stdout, /^(container job: hello from a container on \S+|container job skipped: .+)$/m)
    assert.match(stdout, /^every invoice is paid on chain \(\d+\)$/m)
    assert.match(stdout, /^Payments on chain \((\d+)\):$/m)
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
