import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { inspect } from 'node:util'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { NodeKey, loadOrCreateNodeKey, nodeIdFromPeerId, parseNodeId, peerIdFromNodeKey, readPublicIdentity } from '../../net/index.ts'

describe('node identity', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-identity-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('node id is the address of the key, in lowercase, and any case of it parses to that one form', () => {
    const key = new NodeKey(`0x${'11'.repeat(32)}`)
    // Address of private key 0x1111…11, as every Ethereum tool computes it (here in its checksum form).
    const checksummed = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A'
    assert.equal(key.nodeId, checksummed.toLowerCase())
    for (const form of [checksummed, checksummed.toLowerCase(), `0x${checksummed.slice(2).toUpperCase()}`]) assert.equal(parseNodeId(form), key.nodeId)
  })

  it('a peer id maps to exactly one node id and back', () => {
    for (let i = 0; i < 20; i++) {
      const key = NodeKey.random()
      const text = key.peerId.toString()
      assert.equal(nodeIdFromPeerId(peerIdFromString(text)), key.nodeId)
      assert.equal(nodeIdFromPeerId(text), key.nodeId)
      const back = peerIdFromNodeKey(key.nodeId, key.publicKey)
      assert.equal(back.toString(), text)
      assert.ok(back.equals(key.peerId))
    }
  })

  it('two keys never share a node id or a peer id', () => {
    const a = NodeKey.random()
    const b = NodeKey.random()
    assert.notEqual(a.nodeId, b.nodeId)
    assert.notEqual(a.peerId.toString(), b.peerId.toString())
    assert.throws(() => peerIdFromNodeKey(a.nodeId, b.publicKey), /belongs to/)
  })

  it('refuses a peer id that holds no secp256k1 key', async () => {
    const ed = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    assert.throws(() => nodeIdFromPeerId(ed), /not an Agora node/)
  })

  it('refuses malformed node ids', () => {
    for (const bad of ['', '0x12', 'hello', 42, null, `0x${'g'.repeat(40)}`]) {
      assert.throws(() => parseNodeId(bad), /not a node id/)
    }
  })

  it('keeps the key in an encrypted keystore across restarts', async () => {
    const path = join(dir, 'a', 'node-key.json')
    const first = await loadOrCreateNodeKey({ path, passphrase: 'secret', cost: 'light' })
    assert.equal(first.created, true)
    const text = await readFile(path, 'utf8')
    assert.ok(!text.includes(first.key.exportPrivateKey().slice(2)), 'private key must not be stored in clear')
    const second = await loadOrCreateNodeKey({ path, passphrase: 'secret' })
    assert.equal(second.created, false)
    assert.equal(second.key.nodeId, first.key.nodeId)
    await assert.rejects(loadOrCreateNodeKey({ path, passphrase: 'wrong' }), /wrong passphrase/)
  })

  it('names the node in clear in its keystore, readable without the passphrase, and believed only when it matches', async () => {
    const path = join(dir, 'public', 'node-key.json')
    const { key } = await loadOrCreateNodeKey({ path, passphrase: 'secret', cost: 'light' })
    assert.deepEqual(await readPublicIdentity(path), { nodeId: key.nodeId, peerId: key.peerId.toString() })
    // Keystore readers ignore the extra field: the key still opens.
    assert.equal((await loadOrCreateNodeKey({ path, passphrase: 'secret' })).key.nodeId, key.nodeId)
    const stored = JSON.parse(await readFile(path, 'utf8'))
    const other = NodeKey.random()
    const edited = join(dir, 'public', 'edited.json')
    await writeFile(edited, JSON.stringify({ ...stored, 'x-agora': { nodeId: other.nodeId, peerId: other.peerId.toString() } }))
    assert.equal(await readPublicIdentity(edited), null, 'an identity the clear address contradicts')
    const { 'x-agora': _identity, ...older } = stored
    const withoutIdentity = join(dir, 'public', 'older.json')
    await writeFile(withoutIdentity, JSON.stringify(older))
    assert.equal(await readPublicIdentity(withoutIdentity), null, 'a keystore written before the identity was kept in it')
    assert.equal((await loadOrCreateNodeKey({ path: withoutIdentity, passphrase: 'secret' })).key.nodeId, key.nodeId)
    assert.equal(await readPublicIdentity(join(dir, 'public', 'missing.json')), null)
  })

  it('two openers creating one keystore at once end with one key, and leave no temporary file', async () => {
    const path = join(dir, 'raced', 'node-key.json')
    const opened = await Promise.all([1, 2, 3].map(async () => await loadOrCreateNodeKey({ path, passphrase: '', cost: 'light' })))
    assert.equal(opened.filter(result => result.created).length, 1)
    assert.equal(new Set(opened.map(result => result.key.nodeId)).size, 1)
    assert.equal((await loadOrCreateNodeKey({ path, passphrase: '' })).key.nodeId, opened[0]?.key.nodeId)
    assert.deepEqual(await readdir(join(dir, 'raced')), ['node-key.json'])
  })

  it('refuses a damaged keystore without replacing it', async () => {
    const path = join(dir, 'damaged.json')
    await writeFile(path, '{"not":"a keystore"}')
    await assert.rejects(loadOrCreateNodeKey({ path, passphrase: '' }), /not an encrypted JSON keystore/)
    assert.equal(await readFile(path, 'utf8'), '{"not":"a keystore"}')
  })

  it('never shows the private key when logged or serialised', () => {
    const key = NodeKey.random()
    const secret = key.exportPrivateKey().slice(2)
    assert.ok(!JSON.stringify({ key }).includes(secret))
    assert.ok(!inspect(key).includes(secret))
  })
})
