import assert from 'node:assert/strict'
import { SigningKey, computeAddress, keccak256, toUtf8Bytes } from 'ethers'
import { EnvelopeError, NodeKey, canonicalJson, signEnvelope, verifyEnvelope, openEnvelope } from '../../net/index.ts'

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops white space', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}')
  })
  it('gives equal text for equal values built in any order', () => {
    assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }))
  })
  it('refuses values JSON cannot carry exactly', () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), /\$\.a: NaN/)
    assert.throws(() => canonicalJson({ a: 1n }), /bigint/)
    assert.throws(() => canonicalJson(new Date()), /plain objects/)
  })
})

describe('signed envelopes', () => {
  const key = NodeKey.random()
  const payload = { id: 'offer-1', properties: { 'golem.inf.cpu.threads': 4, 'golem.runtime.name': 'vm' }, constraints: '()' }

  it("verifies to the signer's node id", () => {
    const envelope = signEnvelope(key, 'market.offer', payload)
    assert.equal(verifyEnvelope(envelope, 'market.offer'), key.nodeId)
    assert.deepEqual(openEnvelope(envelope, 'market.offer').payload, payload)
  })

  it('survives a JSON round trip with keys reordered', () => {
    const envelope = signEnvelope(key, 'market.offer', payload)
    const reordered = JSON.parse(
      JSON.stringify({
        sig: envelope.sig,
        payload: { constraints: '()', properties: payload.properties, id: 'offer-1' },
        signer: envelope.signer,
        type: envelope.type,
        v: envelope.v
      })
    )
    assert.equal(verifyEnvelope(reordered), key.nodeId)
  })

  it('fails when any byte of the serialised envelope is changed', () => {
    const text = JSON.stringify(signEnvelope(key, 'market.offer', payload))
    let refused = 0
    let tried = 0
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      // Flip to another character of the same class so the text stays JSON-ish.
      const replacement = String.fromCharCode(code === 0x30 ? 0x31 : code === 0x61 ? 0x62 : code ^ 1)
      const tampered = text.slice(0, i) + replacement + text.slice(i + 1)
      let parsed: unknown
      try {
        parsed = JSON.parse(tampered)
      } catch {
        continue
      }
      // Changing only the case of a hex digit in the signature or the key name's
      // own text may leave an equal value; count only real changes.
      if (canonicalJson(parsed) === canonicalJson(JSON.parse(text))) continue
      tried++
      try {
        verifyEnvelope(parsed)
      } catch {
        refused++
      }
    }
    assert.ok(tried > 100, `only ${tried} tamperings tried`)
    assert.equal(refused, tried)
  })

  it('separates domains: an offer signature is not an agreement signature', () => {
    const envelope = signEnvelope(key, 'market.offer', payload)
    assert.throws(() => verifyEnvelope(envelope, 'market.agreement'), /expected a market.agreement envelope/)
    assert.throws(() => verifyEnvelope({ ...envelope, type: 'market.agreement' }), /not 0x/)
  })

  it('refuses a signer that did not sign', () => {
    const other = NodeKey.random()
    const envelope = signEnvelope(key, 'market.offer', payload)
    assert.throws(() => verifyEnvelope({ ...envelope, signer: other.nodeId }), /not 0x/)
  })

  it('names what is wrong with malformed envelopes', () => {
    assert.throws(() => verifyEnvelope(null), /must be an object/)
    assert.throws(() => verifyEnvelope({ v: 2 }), /version 2/)
    assert.throws(() => verifyEnvelope({ v: 1, type: 'x', signer: key.nodeId, payload: 1, sig: '0x12' }), /65 bytes/)
    assert.throws(() => verifyEnvelope({ v: 1, type: 'x', signer: 'bob', payload: 1, sig: `0x${'1'.repeat(130)}` }), /signer/)
  })

  it("refuses as BadRequest in its own words: the signing library's text stays in the cause", () => {
    // 65 bytes of hex that are no signature at all (r = s = 0xff…, v = 0xff).
    const forged = { v: 1, type: 'x', signer: key.nodeId, payload: 1, sig: `0x${'f'.repeat(130)}` }
    assert.throws(
      () => verifyEnvelope(forged),
      (err: unknown) => {
        assert.ok(err instanceof EnvelopeError)
        assert.equal(err.code, 'BadRequest')
        assert.equal(err.message, 'envelope signature does not verify')
        assert.ok(err.cause instanceof Error)
        return true
      }
    )
    assert.throws(() => verifyEnvelope({ ...forged, signer: 'bob' }), {
      code: 'BadRequest',
      message: 'envelope signer must be a node id (0x followed by 40 hex digits)'
    })
  })
})

describe('envelope signer key', () => {
  it("recovers the public key that leads to the signer's peer id", async () => {
    const { verifyEnvelopeSigner, peerIdFromNodeKey } = await import('../../net/index.ts')
    const key = NodeKey.random()
    const { nodeId, publicKey } = verifyEnvelopeSigner(signEnvelope(key, 't', { a: 1 }))
    assert.equal(nodeId, key.nodeId)
    assert.deepEqual(publicKey, key.publicKey)
    assert.ok(peerIdFromNodeKey(nodeId, publicKey).equals(key.peerId))
  })
})

describe('envelope digest', () => {
  const key = NodeKey.random()
  const PREFIX = '\x19Agora signed envelope:\n'
  // The digest every envelope so far was signed over: ethers' UTF-8 encoder and keccak256.
  const signedBefore = (envelope: { v: number; type: string; signer: string; payload: unknown; sig: string }): string =>
    computeAddress(
      SigningKey.recoverPublicKey(
        keccak256(toUtf8Bytes(PREFIX + canonicalJson({ v: envelope.v, type: envelope.type, signer: envelope.signer, payload: envelope.payload }))),
        envelope.sig
      )
    ).toLowerCase()

  it('is the digest envelopes were always signed over, for text in any script', () => {
    for (const note of ['plain', 'ünïcödé', '数据所有者', 'emoji 🚀 and 𝔘', 'x'.repeat(59_000), '\u0000\u001f"\\']) {
      const envelope = signEnvelope(key, 'market.offer', { note })
      assert.equal(signedBefore(envelope), key.nodeId, `signed over another digest for ${note.slice(0, 20)}`)
      assert.equal(verifyEnvelope(envelope, 'market.offer'), key.nodeId)
    }
  })

  it('keeps a lone surrogate apart from the replacement character a lenient UTF-8 encoder would write for it', () => {
    const surrogate = signEnvelope(key, 'market.offer', { note: 'half a pair \ud800' })
    const replaced = signEnvelope(key, 'market.offer', { note: 'half a pair \ufffd' })
    assert.equal(verifyEnvelope(surrogate, 'market.offer'), key.nodeId)
    assert.equal(signedBefore(surrogate), key.nodeId)
    assert.throws(() => verifyEnvelope({ ...replaced, payload: surrogate.payload }), /not 0x|does not verify/)
  })
})

describe('signer recovery (libsecp256k1)', () => {
  const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  const hex = (value: bigint): string => value.toString(16).padStart(64, '0')

  it('recovers what ethers recovers, and the node id it computes, for many keys and digests', async () => {
    const { recoverPublicKey } = await import('../../net/identity/secp256k1.ts')
    const { nodeIdOfKey } = await import('../../net/identity/node-id.ts')
    for (let i = 0; i < 40; i++) {
      const signing = new SigningKey(`0x${hex((BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`) % (ORDER - 1n)) + 1n)}`)
      const digest = keccak256(toUtf8Bytes(`message ${i}`))
      const signature = signing.sign(digest)
      const recovered = recoverPublicKey(Buffer.from(digest.slice(2), 'hex'), Buffer.from(signature.serialized.slice(2), 'hex'))
      assert.equal(`0x${Buffer.from(recovered).toString('hex')}`, SigningKey.recoverPublicKey(digest, signature))
      assert.equal(nodeIdOfKey(recovered), computeAddress(signing.publicKey).toLowerCase())
      assert.equal(nodeIdOfKey(signing.compressedPublicKey), nodeIdOfKey(recovered))
    }
  })

  it('takes v as 27/28 or as 0/1, and refuses the high-s twin of a signature and any other v', async () => {
    const { recoverPublicKey } = await import('../../net/identity/secp256k1.ts')
    const signing = new SigningKey(`0x${'2'.repeat(64)}`)
    const digest = Buffer.from(keccak256(toUtf8Bytes('twin')).slice(2), 'hex')
    const signature = Buffer.from(signing.sign(digest).serialized.slice(2), 'hex')
    const expected = Buffer.from(recoverPublicKey(digest, signature)).toString('hex')
    const zeroBased = Buffer.from(signature)
    zeroBased[64] = (signature[64] as number) - 27
    assert.equal(Buffer.from(recoverPublicKey(digest, zeroBased)).toString('hex'), expected)
    // (r, n − s) with the other parity verifies mathematically; it is refused as not canonical.
    const twin = Buffer.from(signature)
    Buffer.from(hex(ORDER - BigInt(`0x${signature.subarray(32, 64).toString('hex')}`)), 'hex').copy(twin, 32)
    twin[64] = (signature[64] as number) === 27 ? 28 : 27
    assert.throws(() => recoverPublicKey(digest, twin), /not canonical/)
    const badV = Buffer.from(signature)
    badV[64] = 29
    assert.throws(() => recoverPublicKey(digest, badV), /recovery id/)
  })
})
