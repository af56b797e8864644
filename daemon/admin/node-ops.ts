// What the CLI can ask of a node. A running daemon answers through its admin
// socket (remote-ops.ts); otherwise the CLI opens the data dir itself
// (local-ops.ts). Both give the same answers.
import type { Reachability } from '../../net/index.ts'
import type { AppKeyInfo, NewAppKey } from '../app-keys/app-keys.ts'

export interface NodeStatus {
  nodeId: string
  peerId: string
  /** Whether a daemon is running on the data dir. */
  running: boolean
  apiUrl: string | null
  /** The libp2p addresses the node listens on (empty when not running). */
  addresses: string[]
  /** Whether other nodes can dial it, and how its connections run (null when not running). */
  reachability: Reachability | null
}

export interface NodeOps {
  status: () => Promise<NodeStatus>
  createAppKey: (name: string) => Promise<NewAppKey>
  listAppKeys: () => Promise<AppKeyInfo[]>
  dropAppKey: (nameOrId: string) => Promise<AppKeyInfo>
  close: () => Promise<void>
}

/** Where the admin socket passes calls on to the REST API: `/api/payment-api/v1/...` is `/payment-api/v1/...`. */
export const API_PASSTHROUGH_PREFIX = '/api'
