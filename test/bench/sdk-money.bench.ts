// The SDK's money and "why no offers":
//   sdk.guard.debit_note_accepted.p50 / .p95  ms from a debit note's issue (its
//       timestamp, on the provider) to the payment guard's acceptance of it (the
//       daemon took the accept): the event's long poll, reading the note, the
//       checks, the accept with its voucher. Two daemons in this process on a dev
//       network, notes every 250 ms; the first note, whose acceptance opens the
//       deposit on chain, and those that waited behind it are left out. The
//       agreed accept timeout is what it must stay well within (default 240 s).
//   sdk.explain.10k_offers  ms to explain one demand over 10,000 offers (the
//       daemon's work for POST /agora-api/v1/market/explain), median of 20.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explainMatch } from '../../market/matching/explain.ts'
import { parseConstraints } from '../../market/language.ts'
import { DevNetwork } from '../../payment/index.ts'
import type { AgreementView } from '../../sdk/client/api-client.ts'
import { createAllocation, createPaymentGuard } from '../../sdk/payments/index.ts'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { NodeOptions } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { prng } from '../helpers/prng.ts'
import { testApiClient } from '../helpers/sdk-api.ts'
import { percentile, report } from './report.ts'

const NOTES = 30
const PLATFORM = 'erc20-holesky-tglm'

// 1. The explanation over a large market.
{
  const random = prng(7)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const offerConstraints = ['(golem.srv.comp.expiration>0)', '(&(golem.srv.comp.expiration>0)(golem.node.debug.subnet=public))', '()'].map(text =>
    parseConstraints(text)
  )
  const offers = Array.from({ length: 10_000 }, () => ({
    properties: {
      'golem.inf.cpu.threads': pick([1, 2, 4, 8, 16]),
      'golem.inf.mem.gib': pick([0.5, 1, 4, 8, 16, 64]),
      'golem.runtime.name': random() < 0.8 ? 'vm' : 'wasmtime',
      'golem.node.debug.subnet': random() < 0.9 ? 'public' : 'devnet-beta'
    },
    constraints: pick(offerConstraints)
  }))
  const demand = {
    properties: { 'golem.srv.comp.expiration': Date.now() + 3_600_000, 'golem.node.debug.subnet': 'devnet-beta' },
    constraints: parseConstraints('(&(golem.runtime.name=wasmtime)(golem.inf.mem.gib>=32)(golem.inf.cpu.threads>=8))')
  }
  for (let i = 0; i < 5; i++) explainMatch(demand, offers)
  const samples: number[] = []
  for (let i = 0; i < 20; i++) {
    const start = performance.now()
    explainMatch(demand, offers)
    samples.push(performance.now() - start)
  }
  report('sdk.explain.10k_offers', percentile(samples, 50), 'ms')
}

// 2. The guard's acceptances over real daemons.
const root = await mkdtemp(join(tmpdir(), 'agora-sdk-money-bench-'))
const network = new DevNetwork({}, { dir: join(root, 'dev-chain') })
const cluster = new Cluster()
try {
  const { networkFile } = await network.start()
  const options: NodeOptions = {
    configure: config => {
      config.modules.payment = { networkFiles: [networkFile], debitNoteIntervalMs: 250, outboxMinRetryMs: 50, outboxMaxRetryMs: 500, claimWorthGasFactor: 1e15 }
    }
  }
  const provider = await cluster.start(options)
  const requester = await cluster.start(options)
  for (const node of [provider, requester]) await node.client.expect(200, 'POST', '/agora-api/v1/payment/fund', { platform: PLATFORM })
  const api = testApiClient(requester.client.url, TEST_APP_KEY)
  const guard = createPaymentGuard(api, { pollTimeoutSec: 2 })
  const allocation = await createAllocation(api, { budget: 500n * 10n ** 18n, platform: PLATFORM })
  const acceptedAt = new Map<string, number>()
  const order: string[] = []
  let done: () => void = () => {}
  const enough = new Promise<void>(resolve => {
    done = resolve
  })
  const startedAt = Date.now()
  const { agreementId } = await approvedAgreement(
    { nodeId: provider.nodeId, client: provider.client },
    { nodeId: requester.nodeId, client: requester.client },
    {
      demandExtra: {
        'golem.com.payment.chosen-platform': PLATFORM,
        [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
        'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm'
      }
    }
  )
  const agreement = await requester.client.expect<AgreementView>(200, 'GET', `/market-api/v1/agreements/${agreementId}`)
  guard.watch({
    agreement,
    allocationId: allocation.allocationId,
    budget: allocation.total,
    startedAt,
    onAccepted: (_total, documentId) => {
      acceptedAt.set(documentId, Date.now())
      order.push(documentId)
      if (order.length === NOTES) done()
    }
  })
  await requester.client.expect(201, 'POST', '/activity-api/v1/activity', { agreementId })
  await enough
  const notes = await Promise.all(
    order.map(async id => ({
      id,
      issuedAt: Date.parse((await requester.client.expect<{ timestamp: string }>(200, 'GET', `/payment-api/v1/debitNotes/${id}`)).timestamp)
    }))
  )
  const depositOpenAt = acceptedAt.get(order[0] as string) ?? 0
  const latencies = notes
    .slice(1)
    .filter(note => note.issuedAt >= depositOpenAt)
    .map(note => (acceptedAt.get(note.id) as number) - note.issuedAt)
  if (latencies.length < NOTES / 2) throw new Error(`only ${latencies.length} notes were issued after the deposit was open`)
  await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
  await guard.settle(agreementId, { timeoutMs: 30_000 })
  await guard.close()
  report('sdk.guard.debit_note_accepted.p50', percentile(latencies, 50), 'ms')
  report('sdk.guard.debit_note_accepted.p95', percentile(latencies, 95), 'ms')
} finally {
  await cluster.stop()
  await network.stop()
  await rm(root, { recursive: true, force: true })
}
