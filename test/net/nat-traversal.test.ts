// A whole job between two nodes behind two NATs (network namespaces, iptables
// MASQUERADE), through a relay on the public segment: the provider behind NAT
// A, the requester behind NAT B, neither able to dial the other. The relay is
// also the bootstrap node. The dev chain and the workload's HTTP server run in
// the root namespace, which sits on the public segment as one more host, so
// the nodes reach them through their NATs as they would any server.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DemoApi } from '../../daemon/demo/api.ts'
import { invoicedByProvider, paidByProvider, readLedger, waitForSettlement } from '../../daemon/demo/ledger.ts'
import { serveWorkload, shouted } from '../../daemon/demo/workload.ts'
import type { DemoWorkload } from '../../daemon/demo/workload.ts'
import { DevNetwork } from '../../payment/dev.ts'
import { parseAmount } from '../../payment/model/amounts.ts'
import { connect } from '../../sdk/index.ts'
import { reapChildren, spawnDaemonUnder } from '../helpers/agora-process.ts'
import type { DaemonProcess } from '../helpers/agora-process.ts'
import { createNatLab, netnsRefusal, removeLeftoverLabs, run } from '../helpers/nat-lab.ts'
import type { NatLab } from '../helpers/nat-lab.ts'
import { waitFor } from '../helpers/wait.ts'

/** Polls a daemon's API (every 250 ms: each poll is a request) until `probe` gives a value. */
async function polled<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  let value: T | undefined
  await waitFor(
    what,
    async () => {
      value = await probe()
      return value !== undefined
    },
    ms,
    250
  )
  return value!
}

const NETNS_UP = fileURLToPath(new URL('../../scripts/netns-up.sh', import.meta.url))
const APP_KEY = 'nat-traversal-app-key-01'

interface Reachability {
  status: 'public' | 'private' | 'unknown'
  relays: string[]
  direct: number
  relayed: number
}

interface NodeInfo {
  nodeId: string
  peerId: string
  addresses: string[]
  peers: { nodeId: string }[]
  reachability: Reachability
}

interface Node {
  process: DaemonProcess
  api: DemoApi
  url: string
  nodeId: string
  addresses: string[]
  info: () => Promise<NodeInfo>
}

/** Forwards TCP from `host` (an ephemeral port) to a port on loopback: the dev chain, for the other namespaces. */
const forwarded = new Set<Socket>()

async function forwardTcp(host: string, toPort: number): Promise<Server> {
  const server = createServer(socket => {
    const upstream = createConnection(toPort, '127.0.0.1')
    forwarded.add(socket).add(upstream)
    socket.pipe(upstream).pipe(socket)
    const end = (): void => {
      socket.destroy()
      upstream.destroy()
    }
    socket.on('error', end)
    upstream.on('error', end)
    socket.on('close', () => {
      forwarded.delete(socket)
      end()
    })
    upstream.on('close', () => {
      forwarded.delete(upstream)
      end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  return server
}

/** What every daemon's payment module is set to: the dev chain through the forwarder, quick settlement. */
function paymentSection(networkFile: string): Record<string, unknown> {
  return {
    networkFiles: [networkFile],
    settlement: 'direct',
    directBatchIntervalMs: 500,
    chainPollingIntervalMs: 100,
    finalUsageWaitMs: 5_000,
    outboxMinRetryMs: 100,
    outboxMaxRetryMs: 2_000
  }
}

describe('NAT traversal: a whole job between nodes behind two NATs, through a relay', function () {
  this.timeout(240_000)
  let dir: string | undefined
  let lab: NatLab | undefined
  let chain: DevNetwork | undefined
  let forwarder: Server | undefined
  let workload: DemoWorkload | undefined
  let networkFile = ''

  before(async function () {
    this.timeout(240_000)
    const up = await run('bash', [NETNS_UP])
    const refused = await netnsRefusal()
    if (refused !== undefined) {
      console.log(`      skipped: ${refused}`)
      this.skip()
    }
    if (up.code !== 0) throw new Error(`scripts/netns-up.sh failed: ${up.stderr}`)
    const leftovers = await removeLeftoverLabs()
    if (leftovers.length > 0) console.log(`      removed what crashed runs left: ${leftovers.join(', ')}`)
    lab = await createNatLab()
    dir = await mkdtemp(join(tmpdir(), 'agora-nat-'))
    chain = new DevNetwork({}, { dir: join(dir, 'dev-chain') })
    const started = await chain.start()
    forwarder = await forwardTcp(lab.ip.root, Number(new URL(started.rpcUrl).port))
    const { port } = forwarder.address() as AddressInfo
    // The same network, its RPC URL the forwarder's: what the nodes behind the NATs can reach.
    const network = JSON.parse(await readFile(started.networkFile, 'utf8')) as { networks: Array<{ rpcUrls: string[] }> }
    for (const entry of network.networks) entry.rpcUrls = [`http://${lab.ip.root}:${port}`]
    networkFile = join(dir, 'network.json')
    await writeFile(networkFile, JSON.stringify(network))
    workload = await serveWorkload(dir, lab.ip.root)
  })

  const nodes = new Map<string, Node>()
  // A failure shows what the daemons warned of: which hop of the job broke
  // (NAT_DEBUG=<libp2p debug namespaces> shows their libp2p logs too, always).
  afterEach(function () {
    if (this.currentTest?.state !== 'failed' && process.env.NAT_DEBUG === undefined) return
    for (const [name, node] of nodes) {
      for (const record of node.process.log) if (Number(record.level) >= 40) console.log(`      ${name}: ${JSON.stringify(record).slice(0, 600)}`)
      if (process.env.NAT_DEBUG !== undefined) console.log(`      ${name} stderr:\n${node.process.stderr().split('\n').slice(-400).join('\n')}`)
    }
  })

  after(async function () {
    this.timeout(60_000)
    await reapChildren()
    if (forwarder !== undefined) {
      for (const socket of forwarded) socket.destroy()
      await new Promise(resolve => forwarder!.close(resolve))
    }
    await workload?.close()
    await chain?.stop()
    await lab?.destroy()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  async function startNode(
    name: string,
    namespace: string,
    listenIp: string,
    apiIp: string,
    extraArgs: string[],
    modules: Record<string, unknown>
  ): Promise<Node> {
    const dataDir = join(dir!, name)
    await mkdir(dataDir, { recursive: true })
    await writeFile(join(dataDir, 'config.json'), JSON.stringify({ modules: { payment: paymentSection(networkFile), ...modules } }))
    const daemon = spawnDaemonUnder(
      lab!.exec(namespace),
      dataDir,
      ['--api-addr', `${apiIp}:0`, '--listen', `/ip4/${listenIp}/tcp/0`, '--log-level', 'info', ...extraArgs],
      { AGORA_APPKEY: APP_KEY, ...(process.env.NAT_DEBUG === undefined ? {} : { DEBUG: process.env.NAT_DEBUG }) }
    )
    const started = await daemon.logged(record => record.msg === 'agora daemon started')
    const url = String(started.api)
    const api = new DemoApi(url, APP_KEY, name)
    const node: Node = {
      process: daemon,
      api,
      url,
      nodeId: String(started.nodeId),
      addresses: started.listen as string[],
      info: async () => await api.call<NodeInfo>('GET', '/agora-api/v1/node')
    }
    nodes.set(name, node)
    return node
  }

  it('offer, agreement, activity, results, debit notes and payment on chain all cross the NATs; the connection facts say how', async () => {
    const { ns, ip } = lab!
    const relay = await startNode('relay', ns.pub, ip.pub, ip.pub, ['--relay'], {})
    const relayPeer = (await relay.info()).peerId
    const bootstrap = relay.addresses.find(address => address.includes(`/ip4/${ip.pub}/`))!
    // The provider's settings are stored before it offers, so that its one offer bills every few seconds.
    const providerModules = (offer: boolean): Record<string, unknown> => ({
      // The workload is served from a private range (the test's own segment).
      activity: { allowPrivateNetworks: true },
      provider: { offer, nodeName: 'provider-behind-nat-a' }
    })
    const setup = await startNode('provider', ns.a, ip.a, ip.apiA, [], providerModules(false))
    await setup.api.call('PATCH', '/agora-api/v1/provider/settings', {
      cores: 1,
      memoryGib: 1,
      diskGib: 1,
      maxAgreements: 1,
      debitNoteInterval: { minSec: 2, preferredSec: 3, maxSec: 3600 }
    })
    setup.process.child.kill('SIGTERM')
    assert.equal(await setup.process.exited, 0)
    const provider = await startNode('provider', ns.a, ip.a, ip.apiA, ['--bootstrap', bootstrap], providerModules(true))
    const requester = await startNode('requester', ns.b, ip.b, ip.apiB, ['--bootstrap', bootstrap], {})

    // Neither can be dialled: each holds a reservation on the relay and advertises its circuit address.
    for (const node of [provider, requester]) {
      const info = await polled(
        `a reservation of ${node.nodeId} on the relay`,
        async () => {
          const now = await node.info()
          return now.reachability.relays.includes(relayPeer) && now.addresses.some(address => address.includes('/p2p-circuit')) ? now : undefined
        },
        60_000
      )
      assert.equal(info.reachability.status, 'private')
      assert.ok(
        info.addresses.some(address => address.startsWith(`${bootstrap}/p2p-circuit`)),
        info.addresses.join(' ')
      )
    }
    const relayInfo = await relay.info()
    assert.ok(relayInfo.reachability.direct >= 2, JSON.stringify(relayInfo.reachability))
    assert.equal(relayInfo.reachability.relays.length, 0, 'a relay holds no reservation elsewhere')

    await Promise.all([provider, requester].map(async node => await node.api.call('POST', '/agora-api/v1/payment/fund', {})))
    const balance = async (node: Node): Promise<bigint> =>
      parseAmount((await node.api.call<{ tokenBalance: string }>('GET', '/agora-api/v1/payment/status')).tokenBalance, 'tokenBalance')
    const before = { provider: await balance(provider), requester: await balance(requester) }

    // The offer crosses by gossip (and sync) through the relay, the one peer both reach directly.
    await polled(
      "the provider's offer at the requester",
      async () => ((await requester.api.call<{ offersKnown: number }>('GET', '/agora-api/v1/node')).offersKnown > 0 ? true : undefined),
      60_000
    )
    const agora = await connect({ url: requester.url, appKey: APP_KEY })
    try {
      const rental = await agora.rent({
        runtime: 'wasmtime',
        image: workload!.taskPackage,
        maxPrices: { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' },
        budget: '1',
        duration: 600,
        startupTimeoutMs: 90_000
      })
      // The offer crossed by gossip through the relay; the agreement is with the provider behind NAT A.
      assert.equal(rental.provider.id.toLowerCase(), provider.nodeId.toLowerCase())
      const relayedFirst = (await requester.info()).reachability
      const words = ['relay', 'circuit', 'masquerade']
      for (const word of words) assert.equal((await rental.run('shout', [word])).stdout, shouted(word))
      const agreementId = rental.agreementId
      // Debit notes reach the requester (the provider dials it back through the relay), and are accepted.
      const requesterApi = requester.api
      await polled(
        'a debit note accepted by the requester',
        async () =>
          (await readLedger(requesterApi)).debitNotes.some(note => note.agreementId === agreementId && note.status === 'ACCEPTED') ? true : undefined,
        60_000
      )
      const during = (await requester.info()).reachability
      const report = await rental.release()
      assert.ok(report.invoiceId !== undefined && report.invoiceId !== null, 'an invoice for the rental')

      const ledger = await waitForSettlement(requesterApi, [provider.api], Date.now, Date.now() + 90_000, new AbortController().signal)
      const invoiced = invoicedByProvider(ledger).get(provider.nodeId.toLowerCase()) ?? 0n
      assert.ok(invoiced > 0n, 'the work cost something')
      assert.equal(paidByProvider(ledger).get(provider.nodeId.toLowerCase()) ?? 0n, invoiced, 'the provider verified its payment on chain')
      for (const payment of ledger.payments) assert.match(payment.details, /^0x[0-9a-f]{64}$/)
      const after = { provider: await balance(provider), requester: await balance(requester) }
      assert.equal(after.provider - before.provider, invoiced)
      assert.equal(before.requester - after.requester, invoiced)

      // How the two were connected: through the relay first, then directly by
      // WebRTC, ICE punching through both NATs with the relay signalling it.
      const direct = await polled(
        'a direct connection between the requester and the provider',
        async () => {
          const now = (await requester.info()).reachability
          // The relay's is one; a second is the provider's.
          return now.direct >= 2 ? now : undefined
        },
        60_000
      )
      console.log(
        `      connections of the requester: at the agreement ${relayedFirst.direct} direct/${relayedFirst.relayed} relayed, ` +
          `during the activity ${during.direct}/${during.relayed}, after payment ${direct.direct}/${direct.relayed}: ` +
          'relayed first, and direct by WebRTC through both NATs'
      )
      assert.ok(relayedFirst.relayed >= 1 || relayedFirst.direct >= 2, `the requester reached the provider: ${JSON.stringify(relayedFirst)}`)
      assert.ok(during.relayed >= 1 || during.direct >= 2, JSON.stringify(during))
    } finally {
      await agora.close({ now: true })
    }
  })
})
