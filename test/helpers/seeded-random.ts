// A seeded byte stream (AES-256-CTR keystream of the seed) for the privacy
// samplers: the same seed draws the same samples, so statistical tests are
// exact replays and never flake.
import { createCipheriv, createHash } from 'node:crypto'
import type { RandomSource } from '../../custody/index.ts'

export function seededRandom(seed: string): RandomSource {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return {
    fill(target: Uint8Array): void {
      const stream = cipher.update(Buffer.alloc(target.byteLength))
      target.set(stream)
    }
  }
}

/**
 * The given bytes, then zeros to the end of the block read; a read once they
 * are used up throws: for tests that follow one draw step by step, or that
 * show no randomness is drawn at all (with no bytes).
 */
export function scriptedRandom(bytes: readonly number[]): RandomSource {
  let used = false
  return {
    fill(target: Uint8Array): void {
      if (used || bytes.length === 0) throw new Error('the scripted bytes ran out')
      used = true
      target.fill(0)
      target.set(bytes.slice(0, target.byteLength))
    }
  }
}
