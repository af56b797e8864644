// Anti-entropy: two nodes compare what they hold of a topic, ids first (with
// expiry, page by page), then the wanted bodies, in bounded batches. One
// protocol serves every topic of a node. The same protocol hands out bodies
// by hash, to the peers an announcement reached (announcement.ts), and so does
// the pull protocol, on its own.
import Type from 'typebox'
import { defineProtocol } from '../protocol/definition.ts'
import { HandlerError } from '../protocol/errors.ts'
import { NodeIdText } from '../identity/node-id.ts'
import { MAX_ANNOUNCED } from './announcement.ts'
import { MAX_ID_LENGTH, TopicName } from './topic.ts'
import { BUCKET_FINGERPRINTS_LENGTH, SUMMARY_BUCKETS } from './summary-index.ts'
import type { RequestHandler } from '../protocol/request-response.ts'
import type { Static } from 'typebox'

/** Summary items per page, at most. */
export const SYNC_IDS_PAGE = 500
/** Bodies per request, at most. */
export const SYNC_BODIES_PAGE = 64
export const SYNC_MAX_RESPONSE_BYTES = 1 << 20

const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })
const Signer = NodeIdText
const Kind = Type.Union([Type.Literal('entry'), Type.Literal('tombstone')])
// sha256 of each message, base64url.
const Hashes = Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }), { minItems: 1, maxItems: MAX_ANNOUNCED })
// Each body is checked like a gossiped one (schema, signature) on receipt.
const Bodies = Type.Array(Type.Object({ kind: Kind, envelope: Type.Unknown() }, { additionalProperties: false }), { maxItems: SYNC_BODIES_PAGE })

const SyncRequest = Type.Union([
  Type.Object(
    {
      op: Type.Literal('ids'),
      topic: TopicName,
      after: Type.Optional(Type.String({ maxLength: MAX_ID_LENGTH + 50 })),
      limit: Type.Integer({ minimum: 1, maximum: SYNC_IDS_PAGE }),
      // The ids of one bucket only (summary-index.ts), where fingerprints differed.
      bucket: Type.Optional(Type.Integer({ minimum: 0, maximum: SUMMARY_BUCKETS - 1 }))
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      op: Type.Literal('digest'),
      topic: TopicName,
      // With every bucket's fingerprint, not only the whole store's.
      buckets: Type.Boolean()
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      op: Type.Literal('bodies'),
      topic: TopicName,
      wanted: Type.Array(Type.Object({ kind: Kind, id: Id, signer: Signer }, { additionalProperties: false }), { minItems: 1, maxItems: SYNC_BODIES_PAGE })
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      op: Type.Literal('pull'),
      topic: TopicName,
      hashes: Hashes
    },
    { additionalProperties: false }
  )
])

const Fingerprint = Type.String({ pattern: '^[0-9a-f]{16}$' })

const SyncResponse = Type.Union([
  Type.Object(
    {
      op: Type.Literal('digest'),
      count: Type.Integer({ minimum: 0 }),
      total: Fingerprint,
      buckets: Type.Optional(Type.String({ pattern: `^[0-9a-f]{${BUCKET_FINGERPRINTS_LENGTH}}$` }))
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      op: Type.Literal('ids'),
      items: Type.Array(Type.Object({ kind: Kind, id: Id, signer: Signer, expiresAt: Type.Number() }, { additionalProperties: false }), {
        maxItems: SYNC_IDS_PAGE
      }),
      next: Type.Optional(Type.String({ maxLength: MAX_ID_LENGTH + 50 }))
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      op: Type.Literal('bodies'),
      bodies: Bodies
    },
    { additionalProperties: false }
  )
])

export type SyncRequest = Static<typeof SyncRequest>
export type SyncResponse = Static<typeof SyncResponse>
export type IdsRequest = Extract<SyncRequest, { op: 'ids' }>
export type BodiesRequest = Extract<SyncRequest, { op: 'bodies' }>
export type DigestRequest = Extract<SyncRequest, { op: 'digest' }>
export type DigestResponse = Extract<SyncResponse, { op: 'digest' }>
export type PullRequest = Extract<SyncRequest, { op: 'pull' }>
export type IdsResponse = Extract<SyncResponse, { op: 'ids' }>
export type BodiesResponse = Extract<SyncResponse, { op: 'bodies' }>

export const SYNC_PROTOCOL = defineProtocol({
  name: '/agora/sync/1',
  request: SyncRequest,
  response: SyncResponse,
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: SYNC_MAX_RESPONSE_BYTES,
  timeoutMs: 10_000,
  // A whole topic's entries: only over direct connections. A node behind a
  // NAT syncs with the peers it reaches directly (its relay among them).
  overRelay: false
})

const PullOnlyRequest = Type.Object({ topic: TopicName, hashes: Hashes }, { additionalProperties: false })
const PullOnlyResponse = Type.Object({ bodies: Bodies }, { additionalProperties: false })

export type PulledBodies = Static<typeof PullOnlyResponse>

/**
 * Bodies by hash, for the peers an announcement reached: the sync protocol's
 * pull, on its own, over one long-lived stream per peer, since every node
 * asks it of its peers for nearly every entry. A peer that does not serve it
 * is asked by the sync protocol instead.
 */
export const PULL_PROTOCOL = defineProtocol({
  name: '/agora/pull/1',
  request: PullOnlyRequest,
  response: PullOnlyResponse,
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: SYNC_MAX_RESPONSE_BYTES,
  timeoutMs: 10_000,
  overRelay: false,
  longLived: true
})

/** What a topic answers to a sync request. */
export interface SyncServer {
  serveIds: (request: IdsRequest) => IdsResponse
  serveDigest: (request: DigestRequest) => DigestResponse
  serveBodies: (request: BodiesRequest) => BodiesResponse
  servePull: (hashes: readonly string[]) => PulledBodies
}

/** The one pull handler of a host, dispatching by topic. */
export function pullHandler(topicNamed: (name: string) => SyncServer | undefined): RequestHandler<typeof PullOnlyRequest, typeof PullOnlyResponse> {
  return async request => serverOf(topicNamed, request.topic).servePull(request.hashes)
}

function serverOf(topicNamed: (name: string) => SyncServer | undefined, topic: string): SyncServer {
  const server = topicNamed(topic)
  if (server === undefined) throw new HandlerError('NotFound', `this node does not carry topic ${topic}`)
  return server
}

/** The one sync handler of a host, dispatching by topic. */
export function syncHandler(topicNamed: (name: string) => SyncServer | undefined): RequestHandler<typeof SyncRequest, typeof SyncResponse> {
  return async request => {
    const server = serverOf(topicNamed, request.topic)
    if (request.op === 'ids') return server.serveIds(request)
    if (request.op === 'digest') return server.serveDigest(request)
    return request.op === 'bodies' ? server.serveBodies(request) : { op: 'bodies', ...server.servePull(request.hashes) }
  }
}
