import assert from 'node:assert/strict'
import { watch } from 'node:fs'
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LongPollQueue } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'
import { AgoraService, clientGone, createLogger, dataDirPaths, loadConfig, StartAbortedError, Store } from '../../daemon/index.ts'
import type { DaemonConfig, DaemonModule, ModuleContext } from '../../daemon/index.ts'
import { silentPeer } from '../helpers/silent-peer.ts'
import { MarketClient } from '../helpers/market-client.ts'
import type { Reply } from '../helpers/market-client.ts'

// A module as market or exe-unit will be: its own sublevel, routes, a long poll.
class RecordingModule implements DaemonModule {
  readonly name: string
  readonly events: string[]
  readonly queue = new LongPollQueue<string>()
  context: ModuleContext | null = null

  constructor(name: string, events: string[]) {
    this.name = name
    this.events = events
  }

  get routes(): NonNullable<DaemonModule['routes']> {
    return [
      {
        prefix: `/${this.name}-api/v1`,
        plugin: async app => {
          app.get('/hello', async () => ({ from: this.name, count: await this.context?.db.get('count') }))
          app.get('/events', async (_request, reply) => {
            this.events.push(`poll ${this.name}`)
            return await this.queue.take(10, 60_000, clientGone(reply))
          })
        }
      }
    ]
  }

  async start(context: ModuleContext): Promise<void> {
    this.context = context
    const count = ((await context.db.get('count')) as number | undefined) ?? 0
    await context.db.put('count', count + 1)
    this.events.push(`start ${this.name}`)
  }

  async stop(): Promise<void> {
    this.queue.close()
    this.events.push(`stop ${this.name}`)
  }
}

describe('AgoraService', () => {
  let dir: string
  let config: DaemonConfig
  const logger = createLogger('silent')
  const secrets = { keyPassphrase: 'test', autoAppKey: 'service-test-key-0001' }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-service-'))
    const loaded = await loadConfig({
      flags: { dataDir: join(dir, 'node'), apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'] },
      env: { AGORA_KEYSTORE_COST: 'light' }
    })
    config = loaded.config
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const get = async (url: string, key = secrets.autoAppKey): Promise<Reply> => {
    const { origin, pathname } = new URL(url)
    return await new MarketClient(origin, key).call('GET', pathname)
  }

  it('starts modules in order, serves their routes, and stops them in reverse', async () => {
    const events: string[] = []
    const service = new AgoraService({ modules: [new RecordingModule('market', events), new RecordingModule('exe-unit', events)], logger })
    await service.start(config, secrets)
    try {
      const url = service.apiUrl ?? ''
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal((await readFile(dataDirPaths(config.dataDir).apiUrl, 'utf8')).trim(), url)
      assert.deepEqual(await get(`${url}/me`), { status: 200, body: { identity: service.nodeId, name: 'autoconf', role: 'manager' } })
      assert.deepEqual(await get(`${url}/market-api/v1/hello`), { status: 200, body: { from: 'market', count: 1 } })
      assert.deepEqual(await get(`${url}/exe-unit-api/v1/hello`), { status: 200, body: { from: 'exe-unit', count: 1 } })
      assert.equal((await get(`${url}/market-api/v1/hello`, 'x'.repeat(20))).status, 401)
      assert.equal(service.status().running, true)
    } finally {
      await service.stop()
    }
    assert.deepEqual(events, ['start market', 'start exe-unit', 'stop exe-unit', 'stop market'])
    await assert.rejects(access(dataDirPaths(config.dataDir).apiUrl))
    // The store is closed: another opener gets it.
    const store = await Store.open(dataDirPaths(config.dataDir).db)
    await store.close()
  })

  it('keeps its identity, app-keys and module data across restarts', async () => {
    const first = new AgoraService({ logger })
    await first.start(config, { ...secrets, autoAppKey: null })
    const nodeId = first.nodeId
    const created = await first.appKeys?.create('kept')
    await first.stop()

    const events: string[] = []
    const second = new AgoraService({ modules: [new RecordingModule('market', events)], logger })
    await second.start(config, { ...secrets, autoAppKey: null })
    try {
      assert.equal(second.nodeId, nodeId)
      const url = second.apiUrl ?? ''
      assert.equal((await get(`${url}/me`, created?.key)).body.name, 'kept')
      assert.equal((await get(`${url}/market-api/v1/hello`, created?.key)).body.count, 2)
    } finally {
      await second.stop()
    }
  })

  it('ends long polls when it stops', async () => {
    const events: string[] = []
    const service = new AgoraService({ modules: [new RecordingModule('market', events)], logger })
    await service.start(config, secrets)
    const polling = get(`${service.apiUrl ?? ''}/market-api/v1/events`)
    await waitFor('the poll to wait on the daemon', () => events.includes('poll market'))
    // The poll would wait 60 s, past mocha's timeout: a stop that waited it out fails the test.
    await service.stop()
    assert.equal((await polling).status, 200)
  })

  it('undoes a failed start: nothing stays open', async () => {
    const blocker = createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as AddressInfo).port
    const events: string[] = []
    const service = new AgoraService({ modules: [new RecordingModule('market', events)], logger })
    try {
      await assert.rejects(service.start({ ...config, api: { host: '127.0.0.1', port } }, secrets), /EADDRINUSE/)
    } finally {
      blocker.close()
    }
    assert.deepEqual(events, ['start market', 'stop market'])
    const store = await Store.open(dataDirPaths(config.dataDir).db)
    await store.close()
  })

  it('a stop while it starts ends the start at once and undoes it', async () => {
    // The first round of dials holds the start in the network's start-up.
    const silent = await silentPeer()
    const bootstrap = [silent.address]
    const events: string[] = []
    const service = new AgoraService({ modules: [new RecordingModule('market', events)], logger })
    try {
      const starting = service.start({ ...config, net: { ...config.net, bootstrap } }, secrets)
      await silent.connected()
      await service.stop()
      await assert.rejects(starting, StartAbortedError)
    } finally {
      silent.close()
    }
    assert.deepEqual(events, [], 'no module started')
    assert.equal(service.apiUrl, null)
    await assert.rejects(access(dataDirPaths(config.dataDir).apiUrl))
    const store = await Store.open(dataDirPaths(config.dataDir).db)
    await store.close()
  })

  it('writes api.url whole: created under another name and renamed, never changed in place', async () => {
    const dataDir = join(dir, 'api-url')
    await mkdir(dataDir)
    const seen: Array<[string, string | null]> = []
    const watcher = watch(dataDir, (event, name) => {
      seen.push([event, name])
    })
    const service = new AgoraService({ logger })
    try {
      await service.start({ ...config, dataDir }, secrets)
      assert.equal((await readFile(dataDirPaths(dataDir).apiUrl, 'utf8')).trim(), service.apiUrl)
    } finally {
      await service.stop()
      watcher.close()
    }
    const apiUrlEvents = seen.filter(([, name]) => name === 'api.url')
    assert.ok(apiUrlEvents.length > 0, JSON.stringify(seen))
    // A write in place shows as 'change' on the file itself; a rename does not.
    assert.deepEqual(
      apiUrlEvents.filter(([event]) => event === 'change'),
      [],
      JSON.stringify(seen)
    )
  })

  it('refuses a wrong passphrase for the node key', async () => {
    const service = new AgoraService({ logger })
    await assert.rejects(service.start(config, { keyPassphrase: 'wrong', autoAppKey: null }), /wrong passphrase/)
  })
})
