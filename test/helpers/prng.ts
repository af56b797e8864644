// A small seeded generator (mulberry32): the same seed gives the same run, so
// a failure found at random can be replayed.
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Draws from a seeded prng: whole numbers below n, and items of a list. */
export class SeededDraws {
  readonly random: () => number
  constructor(seed: number) {
    this.random = prng(seed)
  }
  int(n: number): number {
    return Math.floor(this.random() * n)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T
  }
}
