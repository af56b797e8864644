import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store, dataDirPaths } from '../../daemon/index.ts'
import { MAX_SIGNED_TERMS_BYTES, MAX_SUBSCRIPTION_TTL_MS } from '../../market/index.ts'
import { QUARANTINE_PREFIX } from '../../net/index.ts'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'

const OFFERS = '/market-api/v1/offers'
const DEMANDS = '/market-api/v1/demands'
const DAY = 86_400_000

/** Properties of about `bytes` bytes, each within the REST and property limits. */
function bulkyProperties(bytes: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (let i = 0; i * 16_000 < bytes; i++) properties[`agora.test.bulk${i}`] = 'x'.repeat(16_000)
  return properties
}

/** Plants records with the node stopped: text as given, under each sublevel and key. */
/** A sublevel path ('activity/exe-unit') as its keys are prefixed in the raw store. */
const prefixOf = (path: string): string =>
  path
    .split('/')
    .map(name => `!${name}!`)
    .join('')

async function plant(dataDir: string, records: Array<[sublevel: string, key: string, text: string]>): Promise<void> {
  const store = await Store.open(dataDirPaths(dataDir).db)
  try {
    for (const [path, key, text] of records) {
      const [outer, ...inner] = path.split('/')
      let level: any = store.sublevel(outer as string)
      for (const name of inner) level = level.sublevel(name)
      await level.put(key, text, { valueEncoding: 'utf8' })
    }
  } finally {
    await store.close()
  }
}

describe('market limits: checked before anything is written, and a node that always starts again', function () {
  this.timeout(120_000)
  let dir: string
  let node: ProbedNode | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-limits-'))
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const restart = async (dataDir: string): Promise<ProbedNode> => {
    await node?.stop()
    node = await startProbedNode(dataDir)
    return node
  }

  it('refuses an offer too big to broadcast with 413 naming the limit, stores nothing, and starts again', async () => {
    const dataDir = join(dir, 'node')
    const first = await restart(dataDir)
    const before = await first.dump()
    const reply = await first.client.call('POST', OFFERS, { properties: bulkyProperties(96 * 1024), constraints: '' })
    assert.equal(reply.status, 413)
    assert.match(reply.body.message, new RegExp(`limit is ${MAX_SIGNED_TERMS_BYTES} bytes`))
    assert.deepEqual(await first.dump(), before)
    // The same for a demand kept local: it travels inside its agreement.
    assert.equal((await first.client.call('POST', DEMANDS, { properties: bulkyProperties(96 * 1024), constraints: '' })).status, 413)
    assert.deepEqual(await first.dump(), before)

    const again = await restart(dataDir)
    assert.deepEqual(await again.client.expect(200, 'GET', OFFERS), [])
    // An offer just under the limit is taken, and is still there after a restart.
    const id = await again.client.subscribe('offer', bulkyProperties(40 * 1024), '')
    const third = await restart(dataDir)
    assert.deepEqual(
      (await third.client.expect<any[]>(200, 'GET', OFFERS)).map(o => o.offerId),
      [id]
    )
  })

  it('refuses an expiration past the broadcast TTL with 400 naming the property, and stores nothing', async () => {
    const dataDir = join(dir, 'node')
    const first = await restart(dataDir)
    const before = await first.dump()
    for (const path of [OFFERS, DEMANDS]) {
      const reply = await first.client.call('POST', path, { properties: { 'agora.subscription.expiration': Date.now() + 30 * DAY }, constraints: '' })
      assert.equal(reply.status, 400)
      assert.match(reply.body.message, /agora\.subscription\.expiration is more than 7 days ahead/)
    }
    assert.deepEqual(await first.dump(), before)
    // Six days ahead is within the limit, and lives through a restart.
    const id = await first.client.subscribe('offer', { 'agora.subscription.expiration': Date.now() + MAX_SUBSCRIPTION_TTL_MS - DAY }, '')
    const again = await restart(dataDir)
    assert.deepEqual(
      (await again.client.expect<any[]>(200, 'GET', OFFERS)).map(o => o.offerId),
      [id]
    )
  })

  it('starts with a bad record in every module, sets each aside under its key, and the good ones work', async () => {
    const dataDir = join(dir, 'node')
    const first = await restart(dataDir)
    const offerId = await first.client.subscribe('offer', { 'golem.inf.mem.gib': 8 }, '')
    const created = await first.admin('POST', '/app-keys', { name: 'good-key' })
    assert.equal(created.status, 201)
    await first.stop()
    node = undefined

    const id = (c: string): string => c.repeat(64)
    // A subscription an older version stored that can no longer be published
    // (too big for the topic): before, it stopped every start.
    const unpublishable = JSON.stringify({
      kind: 'offer',
      id: id('b'),
      properties: bulkyProperties(96 * 1024),
      constraints: '',
      timestamp: new Date().toISOString(),
      expiresAt: Date.now() + DAY,
      broadcast: true
    })
    const bad: Array<[string, string, string]> = [
      ['market', `offer:${id('a')}`, '{"kind":"offer", torn'],
      ['market', `offer:${id('b')}`, unpublishable],
      ['market', `demand:${id('c')}`, JSON.stringify({ kind: 'demand', id: id('c') })],
      ['market', `proposal:${id('d')}`, 'not json'],
      ['market', `agreement:${id('e')}`, JSON.stringify({ agreementId: id('e'), role: 'Nobody' })],
      ['market', `event:${'0'.repeat(15)}`, '[]'],
      ['appkeys', 'ffffffffffffffff', JSON.stringify({ id: 'ffffffffffffffff', name: 'torn' })],
      ['appkeys', 'eeeeeeeeeeeeeeee', '\u0000\u0001 not json'],
      ['activity/exe-unit', `activity:${id('g')}`, '{"activityId": torn'],
      ['activity/exe-unit', `event:${'0'.repeat(15)}`, JSON.stringify({ eventType: 'Nothing' })]
    ]
    await plant(dataDir, bad)
    // The requester's activity records are read when asked, not at start: one it cannot read must not stop the start.
    const lazy: Array<[string, string, string]> = [['activity', `activity:${id('f')}`, '{"activityId": torn']]
    await plant(dataDir, lazy)
    await mkdir(join(dataDir, 'transfers', 'outbox', 'not-a-file'), { recursive: true })
    await writeFile(join(dataDir, 'transfers', 'outbox', 'good-file'), 'hello')

    const again = await restart(dataDir)
    // The good records work.
    assert.deepEqual(
      (await again.client.expect<any[]>(200, 'GET', OFFERS)).map(o => o.offerId),
      [offerId]
    )
    const keys = await again.admin('GET', '/app-keys')
    assert.deepEqual(keys.body.map((k: { name: string }) => k.name).sort(), ['autoconf', 'good-key'])
    assert.deepEqual(await again.client.expect(200, 'GET', '/market-api/v1/agreements'), [])
    // Each bad one is set aside under its own key, as it was (not deleted).
    const dump = await again.dump()
    for (const [sublevel, key, text] of bad) {
      assert.equal(dump.has(`${prefixOf(sublevel)}${key}`), false, `${sublevel} ${key} still in place`)
      assert.equal(dump.get(`${prefixOf(sublevel)}${QUARANTINE_PREFIX}${key}`), text, `${sublevel} ${key} not set aside`)
    }
    for (const [sublevel, key, text] of lazy) assert.equal(dump.get(`!${sublevel}!${key}`), text)
    // A stray directory among the requester's files does not hide the good ones.
    const transfers = await again.client.expect<{ offered: Array<{ name: string }> }>(200, 'GET', '/agora-api/v1/transfers/')
    assert.deepEqual(
      transfers.offered.map(f => f.name),
      ['good-file']
    )
    // And the next start has nothing more to set aside.
    const third = await restart(dataDir)
    assert.deepEqual(await third.dump(), dump)
  })
})
