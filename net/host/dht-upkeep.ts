// kad-dht tags its 20 closest peers every 5 s, comparing two sets of peer ids
// that it keeps as strings: each string is turned back into a peer id, and
// for Agora's secp256k1 ids that means decompressing and checking a curve
// point. At 100 nodes on 2 cores that upkeep alone took a quarter of a core,
// offers waiting behind it. The interval is not among kad-dht's options, so it
// is set on its tagger before libp2p starts (checked, so that an upgrade that
// moves it fails loudly rather than quietly costing the CPU again).

/** How often the DHT re-tags its closest peers (kept connected); kad-dht's own is 5 s. */
export const CLOSEST_PEERS_RETAG_MS = 60_000

interface TaggerInternals {
  routingTable?: { closestPeerTagger?: { refreshInterval?: unknown } }
}

export function slowClosestPeerTagging(dht: unknown, intervalMs = CLOSEST_PEERS_RETAG_MS): void {
  const tagger = (dht as TaggerInternals).routingTable?.closestPeerTagger
  if (tagger === undefined || typeof tagger.refreshInterval !== 'number')
    throw new Error('this kad-dht version has no routingTable.closestPeerTagger.refreshInterval: the closest-peer upkeep needs another hook')
  tagger.refreshInterval = intervalMs
}
