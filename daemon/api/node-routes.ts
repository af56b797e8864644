// GET /agora-api/v1/node: what the dashboard's Node view shows and no Golem
// API carries (uptime, addresses, connected peers with their standing, offers
// known, memory).
import Type from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { Reachability } from '../../net/index.ts'

export const NODE_API_PREFIX = '/agora-api/v1'

export const NodeInfoSchema = Type.Object({
  nodeId: Type.String({ description: 'Node id (0x address)' }),
  peerId: Type.String({ description: 'libp2p peer id' }),
  version: Type.String({ description: "Agora's version" }),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeSeconds: Type.Integer(),
  addresses: Type.Array(Type.String(), { description: 'libp2p multiaddrs the node listens on and announces (with observed ones confirmed dialable)' }),
  observedAddresses: Type.Array(Type.String(), { description: 'addresses connected peers observed this node at (identify)' }),
  reachability: Type.Object(
    {
      status: Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('unknown')], {
        description:
          'public: a public address was confirmed dialable; private: every address is of a private network (reached through relays); unknown: not confirmed yet'
      }),
      relays: Type.Array(Type.String(), { description: 'Peer ids of the relays the node holds a reservation on' }),
      direct: Type.Integer({ description: 'Open direct connections' }),
      relayed: Type.Integer({ description: 'Open connections through a relay' })
    },
    { additionalProperties: false, description: 'Whether other nodes can dial this one, and how its connections run' }
  ),
  peers: Type.Array(
    Type.Object({
      nodeId: Type.String(),
      score: Type.Number({ description: "this node's standing of the peer (PeerGuard): 0 when clean, lower after violations, banned at the threshold" })
    }),
    { description: 'Agora nodes connected now' }
  ),
  offersKnown: Type.Integer({ description: 'Offers the market holds (own and peers)' }),
  rssBytes: Type.Integer({ description: 'Resident memory of the daemon process' })
})

export interface NodeInfoSource {
  nodeId: string
  peerId: string
  version: string
  startedAt: number
  now: () => number
  addresses: () => string[]
  observedAddresses: () => string[]
  reachability: () => Reachability
  peers: () => Array<{ nodeId: string; score: number }>
  offersKnown: () => number
  rssBytes: () => number
}

export function nodeRoutes(source: NodeInfoSource): FastifyPluginAsync {
  return async app => {
    app.get('/node', { schema: { operationId: 'agoraNode', summary: "This node's status", tags: ['agora'], response: { 200: NodeInfoSchema } } }, async () => ({
      nodeId: source.nodeId,
      peerId: source.peerId,
      version: source.version,
      startedAt: new Date(source.startedAt).toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((source.now() - source.startedAt) / 1000)),
      addresses: source.addresses(),
      observedAddresses: source.observedAddresses(),
      reachability: source.reachability(),
      peers: source.peers(),
      offersKnown: source.offersKnown(),
      rssBytes: source.rssBytes()
    }))
  }
}
