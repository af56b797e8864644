// The network's reachability facts in the flat shape the node's status, the
// node route and `agora id show` share.
import type { NetHost } from '../../net/index.ts'
import type { NodeReachability } from '../admin/node-ops.ts'

export function nodeReachabilityOf(net: NetHost): NodeReachability {
  const { status, relays, connections } = net.reachability()
  return { status, relays, direct: connections.direct, relayed: connections.relayed }
}
