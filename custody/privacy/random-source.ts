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
    if (n <= MAX_EXACT) return BigInt(this.#belowSmall(Number(n)))
    const bits = bitLength(n - 1n)
    const bytes = Math.ceil(bits / 8)
    const mask = (1n << BigInt(bits)) - 1n
    for (;;) {
      let hex = '0x'
      for (let i = 0; i < bytes; i++) hex += HEX[this.byte()]
      const value = BigInt(hex) & mask
      if (value < n) return value
    }
  }

  // The same rejection in doubles, exact below 2^52: most draws are this small.
  #belowSmall(n: number): number {
    const top = n - 1
    const high = Math.floor(top / 2 ** 32)
    const bits = high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(top)
    const bytes = Math.ceil(bits / 8)
    const range = 2 ** bits
    for (;;) {
      let value = 0
      for (let i = 0; i < bytes; i++) value = value * 256 + this.byte()
      value %= range // keeps the low `bits` bits: a mask, not a modulo of n
      if (value < n) return value
    }
  }
}

const MAX_EXACT = 2n ** 52n
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export const cryptoRandom: RandomSource = { fill: target => void randomFillSync(target) }

export function bitLength(n: bigint): number {
  if (n === 0n) return 0
  const hex = n.toString(16)
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0] as string, 16)))
}
