// A toy broadcast payload for tests of the net module; the real ones (offers,
// demands) are the market's.
import Type from 'typebox'
import type { TopicDefinition } from '../../net/index.ts'

export const Toy = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    note: Type.String({ maxLength: 200 }),
    expiresAt: Type.Integer()
  },
  { additionalProperties: false }
)

export function toyTopic(name = 'toys', envelopeType = 'test.toy', limits: { maxEntries?: number; maxPerSigner?: number } = {}): TopicDefinition<typeof Toy> {
  return {
    name,
    envelopeType,
    payload: Toy,
    idOf: toy => toy.id,
    expiresAt: toy => toy.expiresAt,
    maxEntries: limits.maxEntries ?? 1000,
    maxPerSigner: limits.maxPerSigner ?? 500
  }
}

/**
 * A broadcast message as a node would gossip it, for tests that send by hand
 * what no honest node sends. `reformatted` gives other bytes for the same
 * message (gossip ids hash the bytes, so it is not taken for a duplicate).
 */
export function gossipBytes(kind: 'entry' | 'retraction', envelope: unknown, { reformatted = false } = {}): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, kind, envelope }, null, reformatted ? 1 : undefined))
}

let counter = 0
/** A fresh toy entry, unique across test processes. */
export function toy(note: string, ttlMs = 60_000): { id: string; note: string; expiresAt: number } {
  return { id: `toy-${process.pid}-${++counter}`, note, expiresAt: Date.now() + ttlMs }
}
