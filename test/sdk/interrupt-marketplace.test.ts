// Ctrl-C during a map, over real daemons: a child process runs an SDK script
// mapping long tasks over three providers; SIGINT comes once a task has
// started. The process exits (130) within the bound, every agreement is
// terminated, and every debit note and invoice of them is accepted.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY } from '../helpers/golem-daemons.ts'
import { startMarketplace } from '../helpers/sdk-marketplace.ts'
import type { Marketplace } from '../helpers/sdk-marketplace.ts'

const SCRIPT = fileURLToPath(new URL('./scripts/interrupted-map.ts', import.meta.url))
const BOUND_MS = 40_000

interface Document {
  readonly agreementId: string
  readonly status: string
}

describe('sdk Ctrl-C during a map over three providers', function () {
  this.timeout(300_000)
  const fixture = devChainFixture()
  let market: Marketplace
  let child: ChildProcess | undefined

  before(async function () {
    this.timeout(180_000)
    market = await startMarketplace(fixture, 3)
  })

  after(async function () {
    this.timeout(60_000)
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await market?.stop()
  })

  it('exits within the bound with every agreement terminated and every honest document accepted', async () => {
    child = spawn(process.execPath, [SCRIPT], {
      env: {
        ...process.env,
        SDK_TEST_URL: market.requester.url,
        SDK_TEST_APPKEY: GOLEM_APP_KEY,
        SDK_TEST_IMAGE: market.image,
        SDK_TEST_BOUND_MS: String(BOUND_MS)
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const exited = new Promise<number | null>(resolve => child!.once('exit', code => resolve(code)))
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const lines: Record<string, unknown>[] = []
    let onStarted: () => void = () => {}
    const firstStarted = new Promise<void>(resolve => {
      onStarted = resolve
    })
    let pending = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const parts = pending.split('\n')
      pending = parts.pop() ?? ''
      for (const part of parts) {
        const line = JSON.parse(part) as Record<string, unknown>
        lines.push(line)
        if (line.event === 'started') onStarted()
      }
    })
    await Promise.race([
      firstStarted,
      exited.then(code => {
        throw new Error(`the script exited with ${code} before a task started: ${stderr}`)
      })
    ])
    child.kill('SIGINT')
    const sentAt = Date.now()
    // The wait for the exit is the bound under test (plus what a loaded machine needs to start a process's exit).
    const code = await Promise.race([exited, new Promise<'overran'>(resolve => setTimeout(resolve, BOUND_MS + 20_000, 'overran'))])
    assert.equal(code, 130, `exit ${String(code)} after ${Date.now() - sentAt} ms: ${stderr}`)
    assert.ok(
      lines.some(l => l.event === 'map ended' && l.code === 'Aborted'),
      JSON.stringify(lines)
    )

    const agreementIds = [...new Set(lines.filter(l => l.event === 'started').map(l => String(l.agreementId)))]
    assert.ok(agreementIds.length >= 1)
    // Every agreement the requester's daemon saw approved: none may be left open.
    const listed = await market.requester.client.expect<{ id: string; approvedDate?: string }[]>(200, 'GET', '/market-api/v1/agreements')
    const approved = listed.filter(a => a.approvedDate !== undefined).map(a => a.id)
    for (const id of agreementIds) assert.ok(approved.includes(id), `${id} among the requester's approved agreements`)
    const ours: { agreementId: string; state: string }[] = []
    for (const id of approved) ours.push(await market.requester.client.agreement(id))
    for (const agreement of ours) assert.equal(agreement.state, 'Terminated', `${agreement.agreementId} is ${agreement.state}`)

    const notes = await market.requester.client.expect<Document[]>(200, 'GET', '/payment-api/v1/debitNotes?maxItems=100')
    const invoices = await market.requester.client.expect<Document[]>(200, 'GET', '/payment-api/v1/invoices?maxItems=100')
    const honest = (d: Document): boolean => d.status === 'ACCEPTED' || d.status === 'SETTLED'
    for (const note of notes) assert.ok(honest(note), `debit note of ${note.agreementId} is ${note.status}`)
    for (const agreement of ours) {
      const invoice = invoices.find(i => i.agreementId === agreement.agreementId)
      assert.ok(invoice !== undefined && honest(invoice), `the invoice of ${agreement.agreementId}: ${invoice?.status ?? 'none'}`)
    }
  })
})
