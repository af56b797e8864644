// `npm run demo`: two daemons on loopback, a provider and a requester, reach a
// signed agreement through the Market REST API alone, as Golem tooling would,
// then run a WASI module on the provider through the Activity API.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgoraService } from './service/agora-service.ts'
import { createLogger } from './service/logger.ts'
import { defaultModules } from './service/modules.ts'
import { loadConfig } from './config/load.ts'
import { serveHelloPackage } from './demo/hello-package.ts'

const APP_KEY = 'demo-app-key-0000000001'
const MARKET = '/market-api/v1'
const ACTIVITY = '/activity-api/v1'

interface Daemon {
  name: string
  service: AgoraService
  url: string
  nodeId: string
}

function say(line: string): void {
  console.log(line)
}

async function startDaemon(root: string, name: string, bootstrap: string[]): Promise<Daemon> {
  const { config } = await loadConfig({
    flags: { dataDir: join(root, name), apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
    env: { AGORA_KEYSTORE_COST: 'light' }
  })
  // The demo serves its workload on loopback, which providers refuse by default.
  config.modules.activity = { allowPrivateNetworks: true }
  const service = new AgoraService({ modules: defaultModules(), logger: createLogger('error') })
  await service.start(config, { keyPassphrase: '', autoAppKey: APP_KEY })
  const status = service.status()
  say(`${name}: node ${status.nodeId}, REST API ${status.apiUrl}`)
  return { name, service, url: status.apiUrl!, nodeId: status.nodeId }
}

async function call<T>(daemon: Daemon, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${APP_KEY}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${daemon.url}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) })
  const text = await response.text()
  if (!response.ok) throw new Error(`${daemon.name}: ${method} ${path} → ${response.status} ${text}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

/** Long-polls a subscription until an event passes `test`. */
async function nextEvent(daemon: Daemon, kind: 'offers' | 'demands', id: string, test: (event: any) => boolean): Promise<any> {
  for (let i = 0; i < 20; i++) {
    const found = (await call<any[]>(daemon, 'GET', `${MARKET}/${kind}/${id}/events?timeout=1`)).find(test)
    if (found !== undefined) return found
  }
  throw new Error(`${daemon.name}: no event on ${kind}/${id}`)
}

async function demo(root: string, taskPackage: string): Promise<void> {
  const provider = await startDaemon(root, 'provider', [])
  const requester = await startDaemon(root, 'requester', [provider.service.status().addresses[0]!])
  try {
    const offer = {
      properties: {
        golem: { inf: { cpu: { threads: 1 }, mem: { gib: 1 }, storage: { gib: 10 } }, runtime: { name: 'wasmtime' } },
        'golem.com.pricing.model': 'linear',
        'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0],
        'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
        'golem.com.payment.platform.erc20-holesky-tglm.address': provider.nodeId.toLowerCase()
      },
      constraints: '(golem.srv.comp.expiration>0)'
    }
    const offerId = await call<string>(provider, 'POST', `${MARKET}/offers`, offer)
    say(`provider: offer ${offerId.slice(0, 12)}… published by gossip`)

    const demand = {
      properties: { 'golem.srv.comp.expiration': Date.now() + 3_600_000, 'golem.srv.comp.task_package': taskPackage },
      constraints:
        '(&(golem.inf.mem.gib>=0.5)(golem.runtime.name=wasmtime)(golem.com.pricing.model=linear)(golem.com.payment.platform.erc20-holesky-tglm.address=*))'
    }
    say(`requester: demand ${demand.constraints}`)
    const demandId = await call<string>(requester, 'POST', `${MARKET}/demands`, demand)
    const initial = (await nextEvent(requester, 'demands', demandId, e => e.eventType === 'ProposalEvent')).proposal
    say(`requester: the offer matches; Initial proposal from ${initial.issuerId}`)

    const draftId = await call<string>(requester, 'POST', `${MARKET}/demands/${demandId}/proposals/${initial.proposalId}`, demand)
    say('requester: counter-proposal (Draft) sent to the provider')
    await nextEvent(provider, 'offers', offerId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === draftId)
    const offerDraftId = await call<string>(provider, 'POST', `${MARKET}/offers/${offerId}/proposals/${draftId}`, offer)
    say('provider: counter-proposal (Draft) sent back')
    await nextEvent(requester, 'demands', demandId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === offerDraftId)

    const validTo = new Date(Date.now() + 60_000).toISOString()
    const agreementId = await call<string>(requester, 'POST', `${MARKET}/agreements`, { proposalId: offerDraftId, validTo })
    await call(requester, 'POST', `${MARKET}/agreements/${agreementId}/confirm`)
    say(`requester: agreement ${agreementId.slice(0, 12)}… signed and sent`)
    await nextEvent(provider, 'offers', offerId, e => e.eventType === 'AgreementEvent')
    const waiting = call(requester, 'POST', `${MARKET}/agreements/${agreementId}/wait?timeout=10`)
    await call(provider, 'POST', `${MARKET}/agreements/${agreementId}/approve?timeout=10`)
    await waiting
    const agreement = await call<any>(requester, 'GET', `${MARKET}/agreements/${agreementId}`)
    say(
      `both: agreement ${agreement.state}; requester signature ${agreement.proposedSignature.slice(0, 18)}…, provider signature ${agreement.approvedSignature.slice(0, 18)}…`
    )

    await runActivity(requester, agreementId)

    await call(requester, 'POST', `${MARKET}/agreements/${agreementId}/terminate`, { message: 'demo finished' })
    const closed = await call<any>(provider, 'GET', `${MARKET}/agreements/${agreementId}`)
    say(`provider: agreement ${closed.state} by the requester ("demo finished")`)
  } finally {
    await requester.service.stop()
    await provider.service.stop()
  }
}

/** Creates an activity, runs deploy/start/run as one batch, streams its events. */
async function runActivity(requester: Daemon, agreementId: string): Promise<void> {
  const { activityId } = await call<{ activityId: string }>(requester, 'POST', `${ACTIVITY}/activity`, { agreementId })
  say(`requester: activity ${activityId.slice(0, 12)}… created on the provider`)
  const script = [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [], capture: { stdout: { stream: { format: 'str' } } } } }]
  const batchId = await call<string>(requester, 'POST', `${ACTIVITY}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const response = await fetch(`${requester.url}${ACTIVITY}/activity/${activityId}/exec/${batchId}`, {
    headers: { authorization: `Bearer ${APP_KEY}`, accept: 'text/event-stream' }
  })
  for (const block of (await response.text()).split('\n\n')) {
    if (!block.startsWith('event: runtime')) continue
    const data = block.split('\n').find(line => line.startsWith('data: ')) ?? ''
    const event = JSON.parse(data.slice('data: '.length)) as { index: number; kind: Record<string, any> }
    const [kind, detail] = Object.entries(event.kind)[0]!
    const shown =
      kind === 'started' ? Object.keys(detail.command)[0] : kind === 'finished' ? `return code ${detail.returnCode}` : JSON.stringify(detail).slice(0, 80)
    say(`requester: command ${event.index} ${kind}: ${shown}`)
  }
  const usage = await call<{ currentUsage: number[] }>(requester, 'GET', `${ACTIVITY}/activity/${activityId}/usage`)
  say(`requester: usage (cpu_sec, duration_sec) = ${usage.currentUsage.map(n => n.toFixed(3)).join(', ')}`)
  await call(requester, 'DELETE', `${ACTIVITY}/activity/${activityId}`)
  const state = await call<{ state: string[] }>(requester, 'GET', `${ACTIVITY}/activity/${activityId}/state`)
  say(`requester: activity ${state.state[0]}`)
}

const root = await mkdtemp(join(tmpdir(), 'agora-demo-'))
const workload = await serveHelloPackage()
try {
  await demo(root, workload.taskPackage)
  say('demo done: payments on an EVM chain come next.')
} finally {
  await workload.close()
  await rm(root, { recursive: true, force: true })
}
