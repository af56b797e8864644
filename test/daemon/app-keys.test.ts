import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP_KEYS_SUBLEVEL, AppKeyError, AppKeys, DURABLE, Store, StoreLockedError } from '../../daemon/index.ts'

describe('store', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-store-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('gives each module its own sublevel, persisted across reopen', async () => {
    const path = join(dir, 'db')
    let store = await Store.open(path)
    await store.sublevel('market').put('a', { from: 'market' }, DURABLE)
    await store.sublevel('payment').put('a', { from: 'payment' })
    assert.equal(store.sublevel('market'), store.sublevel('market'))
    await store.close()
    store = await Store.open(path)
    assert.deepEqual(await store.sublevel('market').get('a'), { from: 'market' })
    assert.deepEqual(await store.sublevel('payment').get('a'), { from: 'payment' })
    assert.equal(await store.sublevel('exe-unit').get('a'), undefined)
    assert.throws(() => store.sublevel('Bad Name'), /bad sublevel name/)
    await store.close()
  })

  it('refuses a second opener with a clear error', async () => {
    const path = join(dir, 'locked')
    const store = await Store.open(path)
    try {
      // LevelDB's lock is per process too, so this is what a second daemon sees.
      await assert.rejects(Store.open(path), (err: unknown) => err instanceof StoreLockedError && /in use/.test(err.message))
    } finally {
      await store.close()
    }
  })
})

describe('app-keys', () => {
  let dir: string
  let store: Store
  let keys: AppKeys
  const path = (): string => join(dir, 'db')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-appkeys-'))
    store = await Store.open(path())
    keys = await AppKeys.open(store.sublevel(APP_KEYS_SUBLEVEL))
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('creates a key once, verifies it, lists it without the key', async () => {
    const created = await keys.create('requestor')
    assert.match(created.key, /^[0-9a-f]{64}$/)
    assert.match(created.id, /^[0-9a-f]{16}$/)
    assert.ok(!Number.isNaN(Date.parse(created.createdAt)))
    assert.deepEqual(keys.verify(created.key), { name: 'requestor', id: created.id, createdAt: created.createdAt })
    assert.equal(keys.verify(created.key.replace(/.$/, c => (c === '0' ? '1' : '0'))), null)
    assert.equal(keys.verify(''), null)
    const listed = keys.list()
    assert.deepEqual(
      listed.find(k => k.name === 'requestor'),
      { name: 'requestor', id: created.id, createdAt: created.createdAt }
    )
    assert.ok(!JSON.stringify(listed).includes(created.key))
  })

  it('stores only a hash of each key', async () => {
    const created = await keys.create('hashed')
    for await (const value of store.sublevel(APP_KEYS_SUBLEVEL).values()) {
      assert.ok(!JSON.stringify(value).includes(created.key))
    }
  })

  it('refuses duplicate and bad names', async () => {
    await keys.create('dup')
    await assert.rejects(keys.create('dup'), (err: unknown) => err instanceof AppKeyError && err.code === 'Conflict')
    // Even when both are asked for at once.
    const results = await Promise.allSettled([keys.create('race'), keys.create('race')])
    assert.deepEqual(results.map(r => r.status).sort(), ['fulfilled', 'rejected'])
    for (const name of ['', ' x', 'a/b', 'x'.repeat(65), '-lead']) {
      await assert.rejects(keys.create(name), (err: unknown) => err instanceof AppKeyError && err.code === 'BadRequest', name)
    }
  })

  it('drops by name or id', async () => {
    const a = await keys.create('drop-by-name')
    const b = await keys.create('drop-by-id')
    assert.equal((await keys.drop('drop-by-name')).id, a.id)
    assert.equal((await keys.drop(b.id)).name, 'drop-by-id')
    assert.equal(keys.verify(a.key), null)
    assert.equal(keys.verify(b.key), null)
    await assert.rejects(keys.drop('drop-by-name'), (err: unknown) => err instanceof AppKeyError && err.code === 'NotFound')
  })

  it('imports a given key (AGORA_APPKEY) once, and replaces it when it changes', async () => {
    const first = await keys.ensure('autoconf', 'demo-key-0123456789')
    assert.equal((await keys.ensure('autoconf', 'demo-key-0123456789')).id, first.id)
    assert.equal(keys.verify('demo-key-0123456789')?.name, 'autoconf')
    const second = await keys.ensure('autoconf', 'demo-key-9876543210')
    assert.notEqual(second.id, first.id)
    assert.equal(keys.verify('demo-key-0123456789'), null)
    assert.equal(keys.verify('demo-key-9876543210')?.name, 'autoconf')
    await assert.rejects(keys.create('weak', { key: 'short' }), (err: unknown) => err instanceof AppKeyError && err.code === 'BadRequest')
  })

  it('keeps keys across a reopen', async () => {
    const created = await keys.create('persistent')
    const before = keys.list()
    await store.close()
    store = await Store.open(path())
    keys = await AppKeys.open(store.sublevel(APP_KEYS_SUBLEVEL))
    assert.deepEqual(keys.list(), before)
    assert.equal(keys.verify(created.key)?.name, 'persistent')
  })
})
