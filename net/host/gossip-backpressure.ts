// Gossip to a peer that reads slower than messages come: gossipsub writes
// every forwarded message onto the peer's stream whether or not the last ones
// have left, so a flood relayed on towards a slow (or non-reading) peer piles
// up in this node's memory (64 MB unsent to three busy peers in the flood
// bench). Here a peer with more than a bound of bytes unsent is passed over
// when a message is forwarded: it is behind already, and anti-entropy sync
// hands it what it missed once it has caught up. Messages this node publishes
// itself and control messages still go; gossipsub's own hard bound
// (maxOutboundBufferSize, which closes the stream) catches a peer that
// never reads at all.
import type { GossipSub } from '@libp2p/gossipsub'

export interface ForwardBound {
  /** Bytes unsent to one peer beyond which nothing more is forwarded to it. */
  maxUnsentBytes: number
  /** Told of each message not forwarded to a peer (peer id as a string). */
  onSkipped: (peerId: string) => void
}

type SelectPeersToForward = (topic: string, propagationSource?: string, excludePeers?: Set<string>) => Set<string>

/** What this relies on of gossipsub's inside (checked at start, so an upgrade that moves it fails loudly). */
interface ForwardingInternals {
  selectPeersToForward?: SelectPeersToForward
  streamsOutbound: Map<string, { rawStream: { writeBufferLength: number } }>
}

export function boundForwarding(pubsub: GossipSub, bound: ForwardBound): void {
  const internals = pubsub as unknown as ForwardingInternals
  const select = internals.selectPeersToForward
  if (typeof select !== 'function' || !(internals.streamsOutbound instanceof Map))
    throw new Error('this gossipsub version has no selectPeersToForward or streamsOutbound: the forwarding bound needs another hook')
  internals.selectPeersToForward = function (this: GossipSub, ...args: Parameters<SelectPeersToForward>): Set<string> {
    const peers = select.apply(this, args)
    for (const peer of peers) {
      const unsent = internals.streamsOutbound.get(peer)?.rawStream.writeBufferLength ?? 0
      if (unsent <= bound.maxUnsentBytes) continue
      peers.delete(peer)
      bound.onSkipped(peer)
    }
    return peers
  }
}
