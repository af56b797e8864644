// Where the samplers' randomness comes from: the operating system's CSPRNG in
// the daemon, a seeded stream in tests. Uniform integers are drawn by
// rejection, so no value is more likely than another (no modulo bias).
import { randomFillSync } from 'node:crypto'

export interface RandomSource {
  /** Fills `target` with uniformly random bytes. */
  fill(target: Uint8Array): void
}

const POOL_BYTES = 4096

/** Reads its source in blocks, as the samplers take a few bytes at a time. */
export class PooledRandom {
  readonly #source: RandomSource
  readonly #pool = new Uint8Array(POOL_BYTES)
  #at = POOL_BYTES

  constructor(source: RandomSource) {
    this.#source = source
  }

  byte(): number {
    if (this.#at === POOL_BYTES) {
      this.#source.fill(this.#pool)
      this.#at = 0
    }
    return this.#pool[this.#at++] as number
  }

  /** Uniform in [0, n) for n ≥ 1, by rejection of draws of bitlength(n − 1) bits. */
  below(n: bigint): bigint {
    if (n < 1n) throw new RangeError('below() needs n ≥ 1')
    if (n === 1n) return 0n
    const bits = bitLength(n - 1n)
    const bytes = Math.ceil(bits / 8)
    const mask = (1n << BigInt(bits)) - 1n
    for (;;) {
      let value = 0n
      for (let i = 0; i < bytes; i++) value = (value << 8n) | BigInt(this.byte())
      value &= mask
      if (value < n) return value
    }
  }
}

export const cryptoRandom: RandomSource = { fill: target => void randomFillSync(target) }

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length
}
