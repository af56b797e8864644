// The rest of the network, as scale-offers.bench.ts needs it: many providers'
// offers, each signed by its provider's own key, handed to the holding node
// by gossip. A process cannot run hundreds of whole nodes, so a few relaying
// hosts carry the offers of many signers; the relays do not take part in the
// offers topic (they publish on it, as a node passing on others' offers
// does), so the offers are checked and kept by the holding node alone. Each
// relay listens on its own loopback address (127.0.0.2, .3, …) and the
// holding node dials it, so that the connection comes from that address: the
// holding node's per-address limits then see a few machines, as they would on
// a real network, rather than one. Each relay keeps under the per-node message rate
// the holding node grants.
import { OFFERS_TOPIC } from '../../market/network/libp2p-market-net.ts'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import { serveIpc } from './ipc-worker.ts'
import { offerDrawer } from './scale-offer-terms.ts'

export type InjectorRequest =
  | { op: 'start'; relays: number }
  | { op: 'subscribed'; boundMs: number }
  | { op: 'inject'; signers: number; offersPerSigner: number; perRelayPerSecond: number; seed: number }
  | { op: 'stop' }

const topic = gossipTopicOf(OFFERS_TOPIC.name)
const relays: NetHost[] = []
const encoder = new TextEncoder()

/** Resolves once the relay sees a peer subscribed to the offers topic (checked on every subscription change). */
async function subscribed(relay: NetHost, boundMs: number): Promise<void> {
  const pubsub = relay.pubsub
  if (pubsub.getSubscribers(topic).length > 0) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      pubsub.removeEventListener('subscription-change', check)
      reject(new Error(`no subscriber of ${topic} after ${boundMs} ms`))
    }, boundMs)
    function check(): void {
      if (pubsub.getSubscribers(topic).length === 0) return
      clearTimeout(timer)
      pubsub.removeEventListener('subscription-change', check)
      resolve()
    }
    pubsub.addEventListener('subscription-change', check)
  })
}

/** Publishes `messages` at about `perSecond`, in small bursts every 100 ms. */
async function paced(relay: NetHost, messages: Iterable<Uint8Array>, perSecond: number): Promise<number> {
  const perTick = Math.max(1, Math.round(perSecond / 10))
  let sent = 0
  let tickStart = performance.now()
  for (const message of messages) {
    await relay.pubsub.publish(topic, message)
    sent++
    if (sent % perTick !== 0) continue
    const wait = tickStart + 100 - performance.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    tickStart = performance.now()
  }
  return sent
}

serveIpc<InjectorRequest>(async request => {
  switch (request.op) {
    case 'start': {
      for (let i = 0; i < request.relays; i++) {
        const relay = new NetHost({ key: NodeKey.random(), listen: [`/ip4/127.0.0.${i + 2}/tcp/0`] })
        await relay.start()
        relays.push(relay)
      }
      return relays.map(relay => relay.addresses()[0] as string)
    }
    case 'subscribed':
      await Promise.all(relays.map(async relay => await subscribed(relay, request.boundMs)))
      return true
    case 'inject': {
      const { signers: signerCount, offersPerSigner, perRelayPerSecond } = request
      const draw = offerDrawer(request.seed)
      const expiresAt = Date.now() + 3_600_000
      const signersPerRelay = Math.ceil(signerCount / relays.length)
      const counts = await Promise.all(
        relays.map(async (relay, r) => {
          // Signed as they are sent: the signatures are most of the work, and spread over the run.
          function* messages(): Generator<Uint8Array> {
            const signers = Array.from({ length: Math.min(signersPerRelay, signerCount - r * signersPerRelay) }, () => NodeKey.random())
            for (let n = 0; n < offersPerSigner; n++) {
              for (const signer of signers) {
                const envelope = signEnvelope(signer, OFFERS_TOPIC.envelopeType, draw(signer.nodeId, expiresAt))
                yield encoder.encode(JSON.stringify({ v: 1, kind: 'entry', envelope }))
              }
            }
          }
          return await paced(relay, messages(), perRelayPerSecond)
        })
      )
      return counts.reduce((a, b) => a + b, 0)
    }
    case 'stop':
      await Promise.all(relays.map(async relay => await relay.stop()))
      relays.length = 0
      return true
  }
})
