// A broadcast topic is declared once, as data: what its entries look like,
// how an entry is named and when it expires, and how many a node keeps. The
// payload itself is the owning module's business.
import Type from 'typebox'
import { jsonBytes } from '../protocol/json-bytes.ts'
import { validator } from '../schema/validator.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'
import type { Validator } from '../schema/validator.ts'
import type { Static, TSchema } from 'typebox'

export interface TopicDefinition<S extends TSchema = TSchema> {
  /** Short name, e.g. 'offers'; the gossip topic is /agora/broadcast/1/<name>. */
  name: string
  /** The envelope type entries are signed as, e.g. 'market.offer'. */
  envelopeType: string
  payload: S
  /** A name for the entry, unique across signers (e.g. a hash that covers the signer). */
  idOf: (payload: Static<S>) => string
  /** When the entry stops being valid, in ms since the epoch. */
  expiresAt: (payload: Static<S>) => number
  /** Entries kept at most; more are dropped. */
  maxEntries: number
  /** Entries kept at most from one signer. */
  maxPerSigner: number
  /** Largest signed entry, in bytes of JSON (default 16 KiB). */
  maxEntryBytes?: number
  /** Farthest expiry accepted, from now (default 7 days): nothing lives forever. */
  maxTtlMs?: number
  /** Bytes of entries kept at most, counted as their signed messages (default 64 MiB); beyond it entries are evicted in the documented order. */
  maxBytes?: number
}

export const DEFAULT_MAX_ENTRY_BYTES = 16 * 1024
export const DEFAULT_MAX_TTL_MS = 7 * 24 * 3600_000
export const DEFAULT_MAX_TOPIC_BYTES = 64 * 1024 * 1024
export const MAX_ID_LENGTH = 256

const MAX_TOPIC_NAME_LENGTH = 32
/** What a topic name may be; schemas bound only its length (the name must then match a topic). */
const TOPIC_NAME = new RegExp(`^[a-z][a-z0-9-]{0,${MAX_TOPIC_NAME_LENGTH - 1}}$`)
export const TopicName = Type.String({ minLength: 1, maxLength: MAX_TOPIC_NAME_LENGTH })

export function gossipTopicOf(name: string): string {
  return `/agora/broadcast/1/${name}`
}

/**
 * Bytes of the broadcast message that carries this signed entry: what
 * `maxEntryBytes` bounds. A module measures with it before it stores what it
 * will publish, so that the topic never refuses what the module accepted.
 */
export function entryMessageBytes(envelope: SignedEnvelope): number {
  return jsonBytes({ v: 1, kind: 'entry', envelope }).byteLength
}

/** The envelope type of a retraction of this topic's entries. */
export function retractionTypeOf(definition: TopicDefinition): string {
  return `${definition.envelopeType}.retract`
}

export function checkTopicDefinition(definition: TopicDefinition): void {
  if (!TOPIC_NAME.test(definition.name))
    throw new TypeError(`topic name must be lowercase letters, digits and dashes (at most ${MAX_TOPIC_NAME_LENGTH}), not ${definition.name}`)
  for (const limit of ['maxEntries', 'maxPerSigner'] as const) {
    const value = definition[limit]
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`topic ${definition.name}: ${limit} must be a positive integer, not ${value}`)
  }
  const maxBytes = definition.maxBytes ?? DEFAULT_MAX_TOPIC_BYTES
  const maxEntryBytes = definition.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < maxEntryBytes)
    throw new TypeError(`topic ${definition.name}: maxBytes must be an integer of at least maxEntryBytes (${maxEntryBytes}), not ${maxBytes}`)
}

/** What travels on the gossip topic: one signed entry or one signed retraction. */
export const GossipMessage = Type.Object(
  {
    v: Type.Literal(1),
    kind: Type.Union([Type.Literal('entry'), Type.Literal('retraction')]),
    envelope: Type.Unknown()
  },
  { additionalProperties: false }
)
export type GossipMessage = Static<typeof GossipMessage>
export const gossipMessage: Validator<typeof GossipMessage> = validator(GossipMessage, 'broadcast message')

/** The payload of a retraction: the entry's id, and how long to remember it. */
export const RetractionPayload = Type.Object(
  {
    topic: TopicName,
    id: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
    expiresAt: Type.Integer({ minimum: 0 })
  },
  { additionalProperties: false }
)
export type RetractionPayload = Static<typeof RetractionPayload>
export const retractionPayload: Validator<typeof RetractionPayload> = validator(RetractionPayload, 'retraction')
