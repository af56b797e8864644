// The rest of the network, as scale-offers.bench.ts needs it: many providers'
// offers, each signed by its provider's own key, handed to the holding node
// by gossip. A process cannot run hundreds of whole nodes, so a few relaying
// hosts carry the offers of many signers; the relays do not take part in the
// offers topic (they publish on it, as a node passing on others' offers
// does), so the offers are checked and kept by the holding node alone. Each
// relay listens on its own loopback address (127.0.0.2, .3, …) and the
// holding node dials it, so that the connection comes from that address: the
// holding node's per-address limits then see a few machines, as they would on
// a real network, rather than one. Each relay sends at a steady pace.
import { OFFERS_TOPIC } from '../../market/network/libp2p-market-net.ts'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import { serveIpc } from './ipc-worker.ts'
import { offerDrawer } from './scale-offer-terms.ts'

export type InjectorRequest =
  | { op: 'start'; relays: number }
  | { op: 'subscribed'; boundMs: number }
  | { op: 'prepare'; signers: number; offersPerSigner: number; seed: number }
  | { op: 'inject'; count: number; perRelayPerSecond: number }
  | { op: 'stop' }

const topic = gossipTopicOf(OFFERS_TOPIC.name)
const relays: NetHost[] = []
/** Per relay, the messages it has still to send, signed as they are taken. */
let queues: Array<Iterator<Uint8Array>> = []
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

/** Publishes up to `count` of a relay's messages at about `perSecond`, in small bursts every 100 ms. */
async function paced(relay: NetHost, messages: Iterator<Uint8Array>, count: number, perSecond: number): Promise<number> {
  const perTick = Math.max(1, Math.round(perSecond / 10))
  let sent = 0
  let tickStart = performance.now()
  while (sent < count) {
    const next = messages.next()
    if (next.done === true) break
    await relay.pubsub.publish(topic, next.value)
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
    case 'prepare': {
      const { signers: signerCount, offersPerSigner } = request
      const draw = offerDrawer(request.seed)
      const expiresAt = Date.now() + 3_600_000
      const signersPerRelay = Math.ceil(signerCount / relays.length)
      // Signed as they are sent: the signatures are most of the work, and spread over the run.
      function* messages(r: number): Generator<Uint8Array> {
        const signers = Array.from({ length: Math.max(0, Math.min(signersPerRelay, signerCount - r * signersPerRelay)) }, () => NodeKey.random())
        for (let n = 0; n < offersPerSigner; n++) {
          for (const signer of signers) {
            const envelope = signEnvelope(signer, OFFERS_TOPIC.envelopeType, draw(signer.nodeId, expiresAt))
            yield encoder.encode(JSON.stringify({ v: 1, kind: 'entry', envelope }))
          }
        }
      }
      queues = relays.map((_, r) => messages(r))
      return true
    }
    case 'inject': {
      // Shared out evenly; a relay that has run out leaves its share to the others.
      let left = request.count
      let total = 0
      while (left > 0) {
        const share = Math.ceil(left / relays.length)
        const counts = await Promise.all(
          relays.map(async (relay, r) => await paced(relay, queues[r] as Iterator<Uint8Array>, share, request.perRelayPerSecond))
        )
        const sent = counts.reduce((a, b) => a + b, 0)
        if (sent === 0) break
        total += sent
        left -= sent
      }
      return total
    }
    case 'stop':
      await Promise.all(relays.map(async relay => await relay.stop()))
      relays.length = 0
      return true
  }
})
