// Payments across the whole stack: two daemons in this process on loopback
// (market, activity and payment modules), paying on a dev network that
// `agora chain dev`'s DevNetwork runs, read by both from its network file.
// The requester's side is driven through its REST API as golem-js drives it
// (a long poll of debit note events, an accept per note).
//   payment.debit_note_accept_verify.p50 / .p95  ms from a debit note's issue
//       (its timestamp, on the provider) to the provider's DebitNoteAcceptedEvent,
//       which it emits once the voucher that came with the acceptance has been
//       verified: the note's trip to the requester, the accept (a voucher over
//       the cumulative signed), the acceptance's trip back, the verification.
//       The first note of the agreement, whose acceptance opens the deposit on
//       chain, is left out (that is payment.gas_per_deposit_open's business),
//       and so are the notes issued before it was verified, which waited behind
//       it: the figures are of an agreement whose deposit is open.
//   payment.gas_per_debit_note  gas the requester's address spends on chain while
//       those notes are accepted, divided by their number (target 0)
//   payment.debit_note_cycle.cpu  this process's CPU time (both daemons and the
//       driving client) per note while the notes flow: what the latency is made
//       of when the machine is busy with other work
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider } from 'ethers'
import { DevNetwork } from '../../payment/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { percentile, report } from './report.ts'

const NOTES = 40
const PLATFORM = 'erc20-holesky-tglm'
const PAYMENT_API = '/payment-api/v1'

interface DebitNoteEventWire {
  eventType: string
  eventDate: string
  debitNoteId: string
}

/** The events after `after` (RFC 3339), waiting up to `timeoutS` for a first one. */
async function debitNoteEvents(node: TestNode, after: string | undefined, timeoutS: number): Promise<DebitNoteEventWire[]> {
  const query = new URLSearchParams({ timeout: String(timeoutS), maxEvents: '100' })
  if (after !== undefined) query.set('afterTimestamp', after)
  return await node.client.expect<DebitNoteEventWire[]>(200, 'GET', `${PAYMENT_API}/debitNoteEvents?${query.toString()}`)
}

/** Follows a node's debit note events from now on, calling `on` for each. */
function follow(node: TestNode, on: (event: DebitNoteEventWire) => Promise<void> | void): { stop: () => Promise<void> } {
  let running = true
  const loop = (async () => {
    let after: string | undefined = new Date().toISOString()
    while (running) {
      const events = await debitNoteEvents(node, after, 2)
      for (const event of events) await on(event)
      if (events.length > 0) after = events.at(-1)?.eventDate
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
    }
  }
}

const root = await mkdtemp(join(tmpdir(), 'agora-payment-flow-bench-'))
const network = new DevNetwork({}, { dir: join(root, 'dev-chain') })
const cluster = new Cluster()
try {
  const { networkFile, rpcUrl, chainId } = await network.start()
  const options: NodeOptions = {
    configure: config => {
      config.modules.payment = {
        networkFiles: [networkFile],
        debitNoteIntervalMs: 250,
        outboxMinRetryMs: 50,
        outboxMaxRetryMs: 500,
        // Nothing is claimed while the notes flow: the claim is not what is measured.
        claimWorthGasFactor: 1e15
      }
    }
  }
  const provider = await cluster.start(options)
  const requester = await cluster.start(options)
  for (const node of [provider, requester]) await node.client.expect(200, 'POST', '/agora-api/v1/payment/fund', { platform: PLATFORM })
  const allocation = await requester.client.expect<{ allocationId: string }>(201, 'POST', `${PAYMENT_API}/allocations`, {
    totalAmount: '500',
    paymentPlatform: PLATFORM,
    makeDeposit: false
  })

  const notes = new Map<string, { issuedAt: number; verifiedAt?: number }>()
  const order: string[] = []
  let done: () => void = () => {}
  const allVerified = new Promise<void>(resolve => {
    done = resolve
  })
  const chain = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 })
  let firstVerifiedBlock = -1
  let lastVerifiedBlock = -1
  let cpuFrom: NodeJS.CpuUsage | undefined
  let cpu: NodeJS.CpuUsage = { user: 0, system: 0 }
  const accepting = follow(requester, async event => {
    if (event.eventType !== 'DebitNoteReceivedEvent' || order.length >= NOTES) return
    const note = await requester.client.expect<{ totalAmountDue: string; timestamp: string }>(200, 'GET', `${PAYMENT_API}/debitNotes/${event.debitNoteId}`)
    notes.set(event.debitNoteId, { issuedAt: Date.parse(note.timestamp) })
    order.push(event.debitNoteId)
    await requester.client.expect(200, 'POST', `${PAYMENT_API}/debitNotes/${event.debitNoteId}/accept`, {
      totalAmountAccepted: note.totalAmountDue,
      allocationId: allocation.allocationId
    })
  })
  const verifying = follow(provider, async event => {
    const note = notes.get(event.debitNoteId)
    if (event.eventType !== 'DebitNoteAcceptedEvent' || note === undefined) return
    note.verifiedAt = Date.parse(event.eventDate)
    if (event.debitNoteId === order[0]) {
      firstVerifiedBlock = await chain.getBlockNumber()
      cpuFrom = process.cpuUsage()
    }
    if (order.length === NOTES && order.every(id => notes.get(id)?.verifiedAt !== undefined)) {
      cpu = process.cpuUsage(cpuFrom)
      lastVerifiedBlock = await chain.getBlockNumber()
      done()
    }
  })

  const { agreementId } = await approvedAgreement(
    { nodeId: provider.nodeId, client: provider.client },
    { nodeId: requester.nodeId, client: requester.client },
    {
      demandExtra: {
        'golem.com.payment.chosen-platform': PLATFORM,
        [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
        // Never deployed: the activity only has to exist for its usage to be priced.
        'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm'
      }
    }
  )
  await requester.client.expect(201, 'POST', '/activity-api/v1/activity', { agreementId })
  await allVerified
  await accepting.stop()
  await verifying.stop()

  const verified = order.map(id => {
    const note = notes.get(id)
    if (note?.verifiedAt === undefined) throw new Error(`debit note ${id} was never verified`)
    return { issuedAt: note.issuedAt, verifiedAt: note.verifiedAt }
  })
  const depositOpenAt = verified[0]?.verifiedAt ?? 0
  const latencies = verified
    .slice(1)
    .filter(note => note.issuedAt >= depositOpenAt)
    .map(note => note.verifiedAt - note.issuedAt)
  if (latencies.length < NOTES / 2) throw new Error(`only ${latencies.length} notes were issued after the deposit was open`)
  let gas = 0n
  const requesterAddress = requester.nodeId.toLowerCase()
  for (let number = firstVerifiedBlock + 1; number <= lastVerifiedBlock; number++) {
    const block = await chain.getBlock(number, true)
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== requesterAddress) continue
      const receipt = await chain.getTransactionReceipt(tx.hash)
      gas += receipt?.gasUsed ?? 0n
    }
  }
  chain.destroy()
  await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
  report('payment.debit_note_accept_verify.p50', percentile(latencies, 50), 'ms')
  report('payment.debit_note_accept_verify.p95', percentile(latencies, 95), 'ms')
  report('payment.gas_per_debit_note', Number(gas) / (verified.length - 1), 'gas')
  report('payment.debit_note_cycle.cpu', (cpu.user + cpu.system) / 1000 / (verified.length - 1), 'ms')
} finally {
  await cluster.stop()
  await network.stop()
  await rm(root, { recursive: true, force: true })
}
