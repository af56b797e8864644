import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getAddress, getBytes, keccak256, toUtf8Bytes } from 'ethers'
import {
  canonicalJson,
  ENVELOPE_VERSION,
  loadOrCreateNodeKey,
  messageIdOf,
  NodeKey,
  readPublicIdentity,
  signEnvelope,
  verifyEnvelope
} from '../../net/index.ts'
import type { SignedEnvelope } from '../../net/index.ts'

/** An envelope signed with its signer written as `signer` (earlier versions wrote the checksum form). */
function signedAs(key: NodeKey, signer: string, type: string, payload: unknown): SignedEnvelope {
  const digest = keccak256(toUtf8Bytes(`\x19Agora signed envelope:\n${canonicalJson({ v: ENVELOPE_VERSION, type, signer, payload } as never)}`))
  return { v: ENVELOPE_VERSION, type, signer, payload, sig: key.signDigest(getBytes(digest)) }
}

describe('node ids: one lowercase form, and records of earlier versions (checksum form) still valid', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-node-id-case-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('signs in the lowercase form and verifies an envelope signed in the checksum form, naming its signer in lowercase', () => {
    // A key whose address has capitals in its checksum form (0x19E7E376…).
    const key = new NodeKey(`0x${'11'.repeat(32)}`)
    assert.match(key.nodeId, /^0x[0-9a-f]{40}$/)
    const fresh = signEnvelope(key, 'test/1', { n: 1 })
    assert.equal(fresh.signer, key.nodeId)
    assert.equal(verifyEnvelope(fresh, 'test/1'), key.nodeId)

    const older = signedAs(key, getAddress(key.nodeId), 'test/1', { n: 2 })
    assert.notEqual(older.signer, key.nodeId)
    assert.equal(verifyEnvelope(older, 'test/1'), key.nodeId)
    // The signature still covers the signer's text: another case of it is another envelope.
    assert.throws(() => verifyEnvelope({ ...older, signer: key.nodeId }, 'test/1'), /does not verify|not .*'s/)
    // And no third spelling verifies, even signed as such: a node has no other name.
    const shouted = signedAs(key, `0x${key.nodeId.slice(2).toUpperCase()}`, 'test/1', {})
    assert.throws(() => verifyEnvelope(shouted, 'test/1'), /must be written in lowercase/)
  })

  it('keeps message ids as earlier versions made them, whatever the case of the target', () => {
    const key = NodeKey.random()
    const envelope = signEnvelope(key, 'test/1', { n: 3 })
    const target = NodeKey.random().nodeId
    const asBefore = createHash('sha256')
      .update(canonicalJson({ to: getAddress(target), kind: 'note', envelope } as never))
      .digest('hex')
    assert.equal(messageIdOf(target, 'note', envelope), asBefore)
    assert.equal(messageIdOf(getAddress(target), 'note', envelope), asBefore)
  })

  it('reads the identity of a keystore written with the checksum form in lowercase', async () => {
    const path = join(dir, 'node-key.json')
    const { key } = await loadOrCreateNodeKey({ path, passphrase: '', cost: 'light' })
    const stored = JSON.parse(await readFile(path, 'utf8'))
    await writeFile(path, JSON.stringify({ ...stored, 'x-agora': { ...stored['x-agora'], nodeId: getAddress(key.nodeId) } }))
    assert.deepEqual(await readPublicIdentity(path), { nodeId: key.nodeId, peerId: key.peerId.toString() })
    assert.equal((await loadOrCreateNodeKey({ path, passphrase: '' })).key.nodeId, key.nodeId)
  })
})
