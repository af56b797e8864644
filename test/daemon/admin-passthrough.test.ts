import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { AgoraService, createLogger, dataDirPaths, loadConfig } from '../../daemon/index.ts'
import type { DaemonModule } from '../../daemon/index.ts'
import { NoDaemonError, RemoteOps } from '../../daemon/admin/remote-ops.ts'
import { MarketClient } from '../helpers/market-client.ts'

// A module with a read and a checked write, as the payment routes are.
class EchoModule implements DaemonModule {
  readonly name = 'echo'
  readonly routes: NonNullable<DaemonModule['routes']> = [
    {
      prefix: '/echo-api/v1',
      plugin: async app => {
        app.get('/who', async request => ({ appKey: request.appKey?.name ?? null, query: request.query }))
        app.post(
          '/things',
          { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
          async (request, reply) => await reply.code(201).send({ created: (request.body as { name: string }).name })
        )
      }
    }
  ]
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

describe('the admin socket passes calls on to the REST API', function () {
  this.timeout(60_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-admin-api-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('answers as the API does, without an app-key, only while the daemon runs', async () => {
    const { config } = await loadConfig({
      flags: { dataDir: join(dir, 'node'), apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'] },
      env: { AGORA_KEYSTORE_COST: 'light' }
    })
    const service = new AgoraService({ modules: [new EchoModule()], logger: createLogger('silent') })
    await service.start(config, { keyPassphrase: '', autoAppKey: null })
    const admin = new RemoteOps(dataDirPaths(config.dataDir).adminSocket)
    try {
      const me = await admin.rest<{ identity: string; name: string }>('GET', '/me')
      assert.equal(me.identity, service.nodeId)
      assert.equal(me.name, 'admin-socket')
      assert.deepEqual(await admin.rest('GET', '/echo-api/v1/who?x=1'), { appKey: 'admin-socket', query: { x: '1' } })
      assert.deepEqual(await admin.rest('POST', '/echo-api/v1/things', { name: 'a' }), { created: 'a' })
      // The API's refusals come back with its messages.
      await assert.rejects(admin.rest('POST', '/echo-api/v1/things', { name: '' }), /body\/name/)
      await assert.rejects(admin.rest('GET', '/echo-api/v1/nothing'), /no such route: GET \/echo-api\/v1\/nothing/)
      // From outside, the API still wants an app-key.
      const outside = await new MarketClient(service.apiUrl ?? '', 'not-a-key').call('GET', '/echo-api/v1/who')
      assert.equal(outside.status, 401)
    } finally {
      await service.stop()
    }
    await assert.rejects(admin.rest('GET', '/me'), (err: unknown) => err instanceof NoDaemonError)
  })
})
