// One session on the aggregator: the terms (signed), its rounds one after the
// other, and what the aggregator learns — the owners' signed keys, the share
// boxes it relays without being able to open them, the running sum of masked
// inputs, and in the unmasking, per owner, one kind of share only. It ends
// Done (the sum) or Failed (a round under the threshold, or shares that do
// not combine), and every wait on it is woken.
import { hexToBytes } from '@noble/hashes/utils.js'
import { ChangeSignal, CodedError, openEnvelope, signEnvelope } from '../../net/index.ts'
import type { Clock, NodeId, NodeKey, SignedEnvelope } from '../../net/index.ts'
import { FIELD_PRIME } from './field.ts'
import { decodeSigned, fixedToNumber } from './fixed-point.ts'
import { ENVELOPE_TYPES, PAYLOADS } from './messages.ts'
import type { RoundName, SecaggResponse, SessionTerms, WireEnvelope } from './messages.ts'
import { addMask } from './prg.ts'
import { Round } from './rounds.ts'
import type { RoundEnd } from './rounds.ts'
import { unmaskSum } from './unmasking.ts'
import { base64ToWords } from './words.ts'

export type SessionState = 'Open' | 'Done' | 'Failed'

export interface SessionView {
  readonly sessionId: string
  readonly state: SessionState
  /** The owners whose inputs are in the sum (so far: those whose masked input arrived). */
  readonly survivors: NodeId[]
  readonly dropped: NodeId[]
  readonly sum?: number[]
  /** The exact sum in fixed point: integers in units of 2^-fractionalBits, as decimal strings. */
  readonly sumFixed?: string[]
  readonly fractionalBits: number
  readonly error?: string
}

/** What the aggregator received in the unmasking, for the record: per owner, which kinds of its shares came back. */
export interface UnmaskRecord {
  readonly from: NodeId
  readonly selfSharesOf: readonly NodeId[]
  readonly keySharesOf: readonly NodeId[]
}

const ORDER: readonly RoundName[] = ['advertise', 'shares', 'masked', 'consistency', 'unmask']

export class AggregatorSession {
  readonly terms: SessionTerms
  readonly signedTerms: SignedEnvelope<SessionTerms>
  readonly changed = new ChangeSignal()
  readonly #key: NodeKey
  readonly #clock: Clock
  #state: SessionState = 'Open'
  #error: string | undefined
  #round: Round<unknown>
  readonly #closed = new Map<RoundName, Round<unknown>>()
  // What the closed rounds established.
  #keys: WireEnvelope[] = []
  readonly #sPk = new Map<NodeId, Uint8Array>()
  #sharers: NodeId[] = []
  readonly #boxes = new Map<NodeId, { from: NodeId; box: string }[]>()
  #maskedSum: BigUint64Array
  #survivors: NodeId[] = []
  #survivorsEnvelope: WireEnvelope | undefined
  #checks: WireEnvelope[] = []
  readonly #selfShares = new Map<NodeId, Map<NodeId, bigint>>()
  readonly #keyShares = new Map<NodeId, Map<NodeId, bigint>>()
  readonly #unmaskRecords: UnmaskRecord[] = []
  #sum: BigUint64Array | undefined
  // The signed messages the outcomes relay, kept as they came.
  readonly #advertisements = new Map<NodeId, WireEnvelope>()
  readonly #consistency = new Map<NodeId, WireEnvelope>()
  endedAt: number | undefined

  readonly #onEnd: () => void

  constructor(terms: SessionTerms, key: NodeKey, clock: Clock, onEnd: () => void = () => {}) {
    this.terms = terms
    this.#onEnd = onEnd
    this.#key = key
    this.#clock = clock
    this.signedTerms = signEnvelope(key, ENVELOPE_TYPES.session, terms)
    this.#maskedSum = new BigUint64Array(terms.length)
    this.#round = this.#startRound('advertise', terms.participants)
  }

  get state(): SessionState {
    return this.#state
  }

  /** The round taking answers now (for inspection). */
  get round(): Round<unknown> {
    return this.#round
  }

  /** Everything the unmasking brought, owner by owner. */
  get unmaskRecords(): readonly UnmaskRecord[] {
    return this.#unmaskRecords
  }

  view(): SessionView {
    const base = { sessionId: this.terms.sessionId, state: this.#state, fractionalBits: this.terms.fractionalBits }
    const survivors = this.#survivors.length > 0 ? [...this.#survivors] : [...(this.#closed.has('masked') ? [] : this.#roundReceived('masked'))]
    const dropped = this.terms.participants.filter(owner => !survivors.includes(owner))
    if (this.#state === 'Failed') return { ...base, survivors, dropped, error: this.#error! }
    if (this.#state === 'Open' || this.#sum === undefined) return { ...base, survivors, dropped }
    const fixed = [...this.#sum].map(word => decodeSigned(word))
    return {
      ...base,
      survivors,
      dropped,
      sumFixed: fixed.map(value => value.toString()),
      sum: fixed.map(value => fixedToNumber(value, this.terms.fractionalBits))
    }
  }

  /** One owner's signed message of a round: checked, then taken once. */
  submit(round: RoundName, from: NodeId, envelope: WireEnvelope): void {
    this.#assertOpen()
    if (!this.terms.participants.includes(from)) throw new CodedError('Forbidden', `${from} is not a participant of session ${this.terms.sessionId}`)
    const { signer, payload } = openEnvelope<unknown>(envelope, ENVELOPE_TYPES[round])
    if (signer !== from) throw new CodedError('Forbidden', `a ${round} message signed by ${signer} was sent by ${from}`)
    if (this.#round.name !== round) {
      const done = this.#closed.has(round)
      throw new CodedError('Conflict', `the ${round} round is ${done ? 'closed' : 'not open yet'}; session ${this.terms.sessionId} is in ${this.#round.name}`)
    }
    if (!this.#round.expected.has(from)) throw new CodedError('Forbidden', `${from} is not expected in the ${round} round`)
    if (this.#round.received.has(from)) throw new CodedError('Conflict', `${from} already answered the ${round} round`)
    const value = this.#check(round, from, payload)
    // Kept before the answer is counted: the last answer closes the round, whose outcome relays these.
    if (round === 'advertise') this.#advertisements.set(from, envelope)
    if (round === 'consistency') this.#consistency.set(from, envelope)
    this.#round.accept(from, value)
  }

  /** The outcome of a closed round as the asking owner may see it; undefined while the round is open. */
  outcome(round: RoundName, from: NodeId): SecaggResponse | undefined {
    if (this.#state === 'Failed') throw new CodedError('Gone', `session ${this.terms.sessionId} failed: ${this.#error}`)
    const closed = this.#closed.get(round)
    if (closed === undefined) return undefined
    if (!closed.received.has(from)) throw new CodedError('Forbidden', `${from} did not answer the ${round} round`)
    switch (round) {
      case 'advertise':
        return { state: 'closed', keys: this.#keys }
      case 'shares':
        return { state: 'closed', sharers: this.#sharers, boxes: this.#boxes.get(from) ?? [] }
      case 'masked':
        return { state: 'closed', survivors: this.#survivorsEnvelope! }
      case 'consistency':
        return { state: 'closed', checks: this.#checks }
      case 'unmask':
        return { state: 'closed' }
    }
  }

  /** Ends the session as Failed (the node stopping, or a fault of ours). */
  fail(error: string): void {
    if (this.#state !== 'Open') return
    this.#round.cancel()
    this.#state = 'Failed'
    this.#error = error
    this.endedAt = this.#clock.now()
    this.changed.notify()
    this.#onEnd()
  }

  #roundReceived(round: RoundName): NodeId[] {
    return this.#round.name === round ? [...this.#round.received.keys()] : []
  }

  #assertOpen(): void {
    if (this.#state === 'Failed') throw new CodedError('Gone', `session ${this.terms.sessionId} failed: ${this.#error}`)
    if (this.#state === 'Done') throw new CodedError('Gone', `session ${this.terms.sessionId} is done`)
  }

  /** Each round's own checks; gives what the round keeps of the message. */
  #check(round: RoundName, from: NodeId, payload: unknown): unknown {
    const parsed = PAYLOADS[round].parse(payload) as { sessionId: string }
    if (parsed.sessionId !== this.terms.sessionId) throw new CodedError('Forbidden', `a ${round} message of another session`)
    switch (round) {
      case 'advertise':
        return undefined
      case 'shares': {
        const { boxes } = PAYLOADS.shares.parse(payload)
        const others = this.#keyOwners().filter(owner => owner !== from)
        const to = boxes.map(b => b.to)
        if (to.length !== others.length || new Set(to).size !== to.length || !others.every(owner => to.includes(owner)))
          throw new CodedError('BadRequest', 'a ShareKeys message must hold one box for every other owner that advertised keys')
        return boxes
      }
      case 'masked':
        return base64ToWords(PAYLOADS.masked.parse(payload).masked, this.terms.length)
      case 'consistency': {
        const { survivors } = PAYLOADS.consistency.parse(payload)
        if (survivors.join() !== this.#survivors.join()) throw new CodedError('BadRequest', 'the survivors checked are not the survivors announced')
        return undefined
      }
      case 'unmask': {
        const { selfShares, keyShares } = PAYLOADS.unmask.parse(payload)
        const dropped = this.#sharers.filter(owner => !this.#survivors.includes(owner))
        const selfOf = selfShares.map(s => s.of)
        const keyOf = keyShares.map(s => s.of)
        if (!sameSet(selfOf, this.#survivors) || !sameSet(keyOf, dropped))
          throw new CodedError('BadRequest', 'an unmasking holds a self-mask share of every survivor and a mask-key share of every dropped owner, nothing else')
        const parse = (y: string): bigint => {
          const value = BigInt(`0x${y}`)
          if (value >= FIELD_PRIME) throw new CodedError('BadRequest', 'a share is not a field element')
          return value
        }
        return {
          self: new Map(selfShares.map(s => [s.of, parse(s.y)] as const)),
          key: new Map(keyShares.map(s => [s.of, parse(s.y)] as const)),
          record: { from, selfSharesOf: selfOf, keySharesOf: keyOf }
        }
      }
    }
  }

  #keyOwners(): NodeId[] {
    return [...this.#sPk.keys()]
  }

  #startRound(name: RoundName, expected: Iterable<NodeId>): Round<unknown> {
    return new Round<unknown>(name, expected, this.terms.threshold, this.#clock, this.terms.roundTimeoutMs, end => {
      this.#onRoundEnd(name, end)
    })
  }

  #onRoundEnd(name: RoundName, end: RoundEnd): void {
    const round = this.#round
    if (!end.closed) {
      this.fail(end.error)
      return
    }
    this.#closed.set(name, round)
    const answered = [...round.received.keys()]
    try {
      switch (name) {
        case 'advertise':
          this.#keys = []
          for (const owner of answered) this.#keys.push(this.#advertisements.get(owner)!)
          for (const envelope of this.#keys) {
            const { signer, payload } = openEnvelope<unknown>(envelope, ENVELOPE_TYPES.advertise)
            this.#sPk.set(signer, hexToBytes(PAYLOADS.advertise.parse(payload).sPk))
          }
          break
        case 'shares':
          this.#sharers = answered
          for (const [owner, boxes] of round.received as Map<NodeId, { to: NodeId; box: string }[]>) {
            for (const { to, box } of boxes) {
              if (!this.#sharers.includes(to)) continue
              const list = this.#boxes.get(to) ?? []
              list.push({ from: owner, box })
              this.#boxes.set(to, list)
            }
          }
          break
        case 'masked':
          this.#survivors = [...answered].sort()
          for (const [owner, words] of (round as Round<BigUint64Array | null>).received) {
            addMask(this.#maskedSum, words!, 1)
            // Summed: the single inputs are not kept.
            ;(round as Round<BigUint64Array | null>).received.set(owner, null)
          }
          this.#survivorsEnvelope = signEnvelope(this.#key, ENVELOPE_TYPES.survivors, { sessionId: this.terms.sessionId, survivors: this.#survivors })
          break
        case 'consistency':
          this.#checks = answered.map(owner => this.#consistency.get(owner)!)
          break
        case 'unmask':
          this.#finish(round as Round<{ self: Map<NodeId, bigint>; key: Map<NodeId, bigint>; record: UnmaskRecord }>)
          return
      }
    } catch (err) {
      this.fail(err instanceof CodedError ? err.message : 'the round could not be closed')
      return
    }
    const next = ORDER[ORDER.indexOf(name) + 1]!
    this.#round = this.#startRound(next, answered)
    this.changed.notify()
  }

  #finish(round: Round<{ self: Map<NodeId, bigint>; key: Map<NodeId, bigint>; record: UnmaskRecord }>): void {
    for (const [owner, { self, key, record }] of round.received) {
      this.#selfShares.set(owner, self)
      this.#keyShares.set(owner, key)
      this.#unmaskRecords.push(record)
    }
    try {
      this.#sum = unmaskSum({
        terms: this.terms,
        maskedSum: this.#maskedSum,
        survivors: this.#survivors,
        dropped: this.#sharers.filter(owner => !this.#survivors.includes(owner)),
        sPk: this.#sPk,
        selfShares: this.#selfShares,
        keyShares: this.#keyShares
      })
    } catch (err) {
      this.fail(err instanceof CodedError ? err.message : 'the sum could not be unmasked')
      return
    }
    this.#state = 'Done'
    this.endedAt = this.#clock.now()
    this.changed.notify()
    this.#onEnd()
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && b.every(x => a.includes(x))
}
