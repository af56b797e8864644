// The topic of broadcast-flood.bench.ts: entries as large as offers (64 KiB
// at most), and the default byte bound of a topic (64 MiB).
import Type from 'typebox'
import type { TopicDefinition } from '../../net/index.ts'

export const Bulk = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    note: Type.String({ maxLength: 63_000 }),
    expiresAt: Type.Integer()
  },
  { additionalProperties: false }
)

export const BULK_TOPIC: TopicDefinition<typeof Bulk> = {
  name: 'flood-bench',
  envelopeType: 'bench.bulk',
  payload: Bulk,
  idOf: entry => entry.id,
  expiresAt: entry => entry.expiresAt,
  maxEntries: 100_000,
  maxPerSigner: 1_000,
  maxEntryBytes: 64 * 1024
}
