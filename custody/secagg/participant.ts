// An owner's side of one session, as state and the steps that move it on:
// what it signs in each round, and what it checks in the aggregator's
// answers. No network here (protocol.ts carries the messages): the checks
// are what an honest owner holds to whatever the aggregator does — every
// advertised key signed by a participant, its shares only to owners that
// advertised, and in the unmasking, for each owner, either its self-mask
// share (a survivor) or its mask-key share (a dropout), never both.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { CodedError, openEnvelope, parseNodeId, signEnvelope } from '../../net/index.ts'
import type { NodeId, NodeKey, SignedEnvelope } from '../../net/index.ts'
import { agreeKey, generateKeyPair } from './key-agreement.ts'
import type { KeyPair } from './key-agreement.ts'
import { bigintToBytes, bytesToBigint, FIELD_BYTES } from './field.ts'
import { ENVELOPE_TYPES, PAYLOADS } from './messages.ts'
import type { AdvertisePayload, SessionTerms, SurvivorsPayload, UnmaskPayload, WireEnvelope } from './messages.ts'
import { addMask, expandMask } from './prg.ts'
import { SECRET_BYTES, splitSecret } from './shamir.ts'
import { wordsToBase64 } from './words.ts'

const ADDRESS_BYTES = 20
const PLAINTEXT_BYTES = 2 * ADDRESS_BYTES + 2 * FIELD_BYTES
const NONCE_BYTES = 12
const utf8 = new TextEncoder()

/** Refused by the owner: the aggregator (or another owner) broke the protocol. */
function violation(message: string): CodedError {
  return new CodedError('Forbidden', `secure aggregation: ${message}`)
}

export interface PublicKeys {
  readonly cPk: Uint8Array
  readonly sPk: Uint8Array
}

interface HeldShares {
  /** Of the other owner's mask key (s_sk). */
  readonly s: bigint
  /** Of the other owner's self-mask seed (b). */
  readonly b: bigint
}

/** The pairwise mask's sign: the owner with the lower node id adds it, the other subtracts it. */
export function maskSign(self: NodeId, other: NodeId): 1 | -1 {
  return self < other ? 1 : -1
}

/** An owner's point for the Shamir shares: its 1-based place in the participant list. */
export function shareX(terms: SessionTerms, owner: NodeId): number {
  const index = terms.participants.indexOf(owner)
  if (index < 0) throw violation(`${owner} is not a participant`)
  return index + 1
}

/** Checks every key advertisement: signed by a participant, once each, for this session. */
export function verifyAdvertisements(terms: SessionTerms, envelopes: readonly WireEnvelope[]): Map<NodeId, PublicKeys> {
  const keys = new Map<NodeId, PublicKeys>()
  for (const envelope of envelopes) {
    const { signer, payload } = openEnvelope<unknown>(envelope, ENVELOPE_TYPES.advertise)
    const advert = PAYLOADS.advertise.parse(payload)
    if (!terms.participants.includes(signer)) throw violation(`keys advertised by ${signer}, not a participant`)
    if (advert.sessionId !== terms.sessionId) throw violation(`keys of ${signer} are for another session`)
    if (keys.has(signer)) throw violation(`${signer} advertised keys twice`)
    keys.set(signer, { cPk: hexToBytes(advert.cPk), sPk: hexToBytes(advert.sPk) })
  }
  return keys
}

export class OwnerSession {
  readonly terms: SessionTerms
  readonly #key: NodeKey
  readonly self: NodeId
  readonly #c: KeyPair = generateKeyPair()
  readonly #s: KeyPair = generateKeyPair()
  readonly #b = new Uint8Array(SECRET_BYTES)
  /** U1: who advertised keys. */
  #keys = new Map<NodeId, PublicKeys>()
  /** U2: who shared their seeds; and the shares this owner holds of each. */
  #sharers: NodeId[] = []
  readonly #held = new Map<NodeId, HeldShares>()
  /** U3: whose masked input the aggregator holds. */
  #survivors: NodeId[] = []
  /** Set once at least t survivors confirmed the same survivors: only then may shares be revealed. */
  #confirmed = false
  #revealed = false

  constructor(terms: SessionTerms, key: NodeKey) {
    this.terms = terms
    this.#key = key
    this.self = key.nodeId
    if (!terms.participants.includes(this.self)) throw violation('this node is not a participant of the session')
    crypto.getRandomValues(this.#b)
  }

  /** AdvertiseKeys: the two public keys, signed. */
  advertise(): SignedEnvelope<AdvertisePayload> {
    return signEnvelope(this.#key, ENVELOPE_TYPES.advertise, {
      sessionId: this.terms.sessionId,
      cPk: bytesToHex(this.#c.publicKey),
      sPk: bytesToHex(this.#s.publicKey)
    })
  }

  /** The aggregator's answer to AdvertiseKeys: every owner's signed keys (U1), this owner's among them, at least t. */
  acceptKeys(envelopes: readonly WireEnvelope[]): void {
    const keys = verifyAdvertisements(this.terms, envelopes)
    const own = keys.get(this.self)
    if (own === undefined || bytesToHex(own.cPk) !== bytesToHex(this.#c.publicKey) || bytesToHex(own.sPk) !== bytesToHex(this.#s.publicKey))
      throw violation("the aggregator did not relay this owner's own keys")
    if (keys.size < this.terms.threshold) throw violation(`only ${keys.size} owners advertised keys, under the threshold ${this.terms.threshold}`)
    this.#keys = keys
  }

  /** ShareKeys: shares of s_sk and b for every owner of U1, each box readable only by its owner. */
  shareKeys(): SignedEnvelope<{ sessionId: string; boxes: { to: NodeId; box: string }[] }> {
    const owners = [...this.#keys.keys()]
    const xs = owners.map(owner => shareX(this.terms, owner))
    const sShares = splitSecret(this.#s.secretKey, this.terms.threshold, xs)
    const bShares = splitSecret(this.#b, this.terms.threshold, xs)
    const boxes: { to: NodeId; box: string }[] = []
    owners.forEach((owner, i) => {
      const shares = { s: sShares[i]!.y, b: bShares[i]!.y }
      if (owner === this.self) this.#held.set(owner, shares)
      else boxes.push({ to: owner, box: this.#seal(owner, shares) })
    })
    return signEnvelope(this.#key, ENVELOPE_TYPES.shares, { sessionId: this.terms.sessionId, boxes })
  }

  /** The aggregator's answer to ShareKeys: who shared (U2) and the boxes addressed here, one from each of them. */
  acceptShares(sharers: readonly NodeId[], boxes: readonly { from: NodeId; box: string }[]): void {
    const u2 = sharers.map(id => parseNodeId(id))
    if (new Set(u2).size !== u2.length) throw violation('an owner is listed twice among the sharers')
    for (const owner of u2) if (!this.#keys.has(owner)) throw violation(`${owner} shared seeds without advertising keys`)
    if (!u2.includes(this.self)) throw violation("the aggregator left this owner's shares out")
    if (u2.length < this.terms.threshold) throw violation(`only ${u2.length} owners shared seeds, under the threshold ${this.terms.threshold}`)
    const opened = new Map<NodeId, HeldShares>()
    for (const { from, box } of boxes) {
      const owner = parseNodeId(from)
      if (!u2.includes(owner) || owner === this.self) throw violation(`a share box from ${owner}, who is not among the other sharers`)
      if (opened.has(owner)) throw violation(`two share boxes from ${owner}`)
      opened.set(owner, this.#open(owner, box))
    }
    for (const owner of u2) if (owner !== this.self && !opened.has(owner)) throw violation(`no share box from ${owner}`)
    for (const [owner, shares] of opened) this.#held.set(owner, shares)
    this.#sharers = u2
  }

  /** MaskedInput: x + PRG(b) + Σ ±PRG(s_uv) over the other sharers, mod 2^64. */
  maskedInput(encoded: BigUint64Array): SignedEnvelope<{ sessionId: string; masked: string }> {
    if (encoded.length !== this.terms.length)
      throw new CodedError('BadRequest', `the session sums vectors of ${this.terms.length} values, not ${encoded.length}`)
    const masked = BigUint64Array.from(encoded)
    addMask(masked, expandMask(this.#b, masked.length), 1)
    for (const owner of this.#sharers) {
      if (owner === this.self) continue
      const seed = agreeKey(this.#s.secretKey, this.#keys.get(owner)!.sPk, this.terms.sessionId, 'mask')
      addMask(masked, expandMask(seed, masked.length), maskSign(this.self, owner))
    }
    return signEnvelope(this.#key, ENVELOPE_TYPES.masked, { sessionId: this.terms.sessionId, masked: wordsToBase64(masked) })
  }

  /** The aggregator's signed list of survivors (U3): a subset of U2 that holds this owner and at least t. Answered by this owner's signed view of it. */
  acceptSurvivors(aggregator: NodeId, envelope: WireEnvelope): SignedEnvelope<SurvivorsPayload> {
    const { signer, payload } = openEnvelope<unknown>(envelope, ENVELOPE_TYPES.survivors)
    if (signer !== aggregator) throw violation(`the survivors are signed by ${signer}, not the aggregator`)
    const list = PAYLOADS.survivors.parse(payload)
    if (list.sessionId !== this.terms.sessionId) throw violation('the survivors are of another session')
    const survivors = list.survivors.map(id => parseNodeId(id))
    if (new Set(survivors).size !== survivors.length) throw violation('a survivor is listed twice')
    for (const owner of survivors) if (!this.#sharers.includes(owner)) throw violation(`survivor ${owner} did not share seeds`)
    if (!survivors.includes(this.self)) throw violation("the aggregator left this owner's masked input out")
    if (survivors.length < this.terms.threshold) throw violation(`only ${survivors.length} masked inputs, under the threshold ${this.terms.threshold}`)
    this.#survivors = [...survivors].sort()
    return signEnvelope(this.#key, ENVELOPE_TYPES.consistency, { sessionId: this.terms.sessionId, survivors: this.#survivors })
  }

  /** Every owner that checked signed the same survivors, and at least t did: the aggregator told everyone one story. */
  acceptChecks(envelopes: readonly WireEnvelope[]): void {
    const signers = new Set<NodeId>()
    for (const envelope of envelopes) {
      const { signer, payload } = openEnvelope<unknown>(envelope, ENVELOPE_TYPES.consistency)
      const check = PAYLOADS.consistency.parse(payload)
      if (!this.#survivors.includes(signer)) throw violation(`a consistency check signed by ${signer}, not a survivor`)
      if (check.sessionId !== this.terms.sessionId) throw violation('a consistency check of another session')
      if (check.survivors.join() !== this.#survivors.join()) throw violation(`${signer} was told other survivors`)
      signers.add(signer)
    }
    if (!signers.has(this.self)) throw violation("the aggregator left this owner's check out")
    if (signers.size < this.terms.threshold) throw violation(`only ${signers.size} owners confirmed the survivors, under the threshold ${this.terms.threshold}`)
    this.#confirmed = true
  }

  /** Unmasking, once: each survivor's self-mask share, each dropped sharer's mask-key share. */
  unmask(): SignedEnvelope<UnmaskPayload> {
    if (this.#revealed) throw violation('this owner unmasks once per session')
    if (!this.#confirmed) throw violation('the survivors are not confirmed yet')
    this.#revealed = true
    const selfShares: UnmaskPayload['selfShares'] = []
    const keyShares: UnmaskPayload['keyShares'] = []
    for (const owner of this.#sharers) {
      const held = this.#held.get(owner)!
      if (this.#survivors.includes(owner)) selfShares.push({ of: owner, y: held.b.toString(16) })
      else keyShares.push({ of: owner, y: held.s.toString(16) })
    }
    return signEnvelope(this.#key, ENVELOPE_TYPES.unmask, { sessionId: this.terms.sessionId, selfShares, keyShares })
  }

  // One key per pair serves both directions: agreed once, for sealing and opening.
  readonly #boxKeys = new Map<NodeId, Uint8Array>()

  #boxKey(owner: NodeId): Uint8Array {
    let key = this.#boxKeys.get(owner)
    if (key === undefined) {
      key = agreeKey(this.#c.secretKey, this.#keys.get(owner)!.cPk, this.terms.sessionId, 'share')
      this.#boxKeys.set(owner, key)
    }
    return key
  }

  #seal(to: NodeId, shares: HeldShares): string {
    const plaintext = new Uint8Array(PLAINTEXT_BYTES)
    plaintext.set(hexToBytes(this.self.slice(2)), 0)
    plaintext.set(hexToBytes(to.slice(2)), ADDRESS_BYTES)
    plaintext.set(bigintToBytes(shares.s, FIELD_BYTES), 2 * ADDRESS_BYTES)
    plaintext.set(bigintToBytes(shares.b, FIELD_BYTES), 2 * ADDRESS_BYTES + FIELD_BYTES)
    const nonce = new Uint8Array(NONCE_BYTES)
    crypto.getRandomValues(nonce)
    const sealed = chacha20poly1305(this.#boxKey(to), nonce, boxAad(this.terms.sessionId, this.self, to)).encrypt(plaintext)
    const out = new Uint8Array(NONCE_BYTES + sealed.length)
    out.set(nonce, 0)
    out.set(sealed, NONCE_BYTES)
    return Buffer.from(out).toString('base64')
  }

  #open(from: NodeId, box: string): HeldShares {
    const bytes = new Uint8Array(Buffer.from(box, 'base64'))
    let plaintext: Uint8Array
    try {
      plaintext = chacha20poly1305(this.#boxKey(from), bytes.subarray(0, NONCE_BYTES), boxAad(this.terms.sessionId, from, this.self)).decrypt(
        bytes.subarray(NONCE_BYTES)
      )
    } catch {
      throw violation(`the share box from ${from} does not open`)
    }
    if (plaintext.length !== PLAINTEXT_BYTES) throw violation(`the share box from ${from} is malformed`)
    const sender = `0x${bytesToHex(plaintext.subarray(0, ADDRESS_BYTES))}`
    const recipient = `0x${bytesToHex(plaintext.subarray(ADDRESS_BYTES, 2 * ADDRESS_BYTES))}`
    if (sender !== from || recipient !== this.self) throw violation(`the share box from ${from} names other owners`)
    return {
      s: bytesToBigint(plaintext.subarray(2 * ADDRESS_BYTES, 2 * ADDRESS_BYTES + FIELD_BYTES)),
      b: bytesToBigint(plaintext.subarray(2 * ADDRESS_BYTES + FIELD_BYTES))
    }
  }
}

function boxAad(sessionId: string, from: NodeId, to: NodeId): Uint8Array {
  return utf8.encode(`agora-secagg/1 share ${sessionId} ${from} ${to}`)
}
