import assert from 'node:assert/strict'
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { NetHost, NodeKey } from '../../net/index.ts'
import { fewerYamuxWindowUpdates, noiseDecoderTweaks } from '../../net/host/frame-costs.ts'
import { quietLogger } from '../../net/host/quiet-logger.ts'
import { waitFor } from '../helpers/wait.ts'

const DATA_FRAME = 0x0
const WINDOW_UPDATE_FRAME = 0x1
const ACK = 0x2
// Yamux's default receive window.
const WINDOW = 256 * 1024
const MAX_WINDOW = 2 * 1024 * 1024

interface SentHeader {
  type: number
  flag: number
  length: number
}

const SINK = '/agora-test/sink/1'

function yamuxStream(state: StreamState, rttMs = -1): { stream: YamuxStream; sent: SentHeader[] } {
  const sent: SentHeader[] = []
  const stream = new YamuxStream({
    id: '1',
    streamId: 1,
    state,
    direction: 'inbound',
    log: quietLogger,
    sendFrame: header => {
      sent.push(header)
      return true
    },
    // -1: no round trip measured, and the window keeps its size.
    getRTT: () => rttMs,
    maxStreamWindowSize: MAX_WINDOW
  })
  return { stream, sent }
}

function receive(stream: YamuxStream, bytes: number): void {
  stream.handleData({ header: { type: DATA_FRAME, flag: 0, streamID: 1, length: bytes }, data: new Uint8Array(bytes) } as never)
}

describe('the per-frame costs of Yamux and Noise', () => {
  before(() => {
    assert.equal(fewerYamuxWindowUpdates(), true, 'yamux has moved the window update this relies on')
  })

  it('sends no window update for small frames until half the receive window is used, then one for all of it', () => {
    const { stream, sent } = yamuxStream(StreamState.Established)
    const frame = 1024
    for (let i = 0; i < WINDOW / 2 / frame - 1; i++) receive(stream, frame)
    assert.equal(sent.length, 0)
    receive(stream, frame)
    assert.deepEqual(
      sent.map(({ type, flag, length }) => ({ type, flag, length })),
      [{ type: WINDOW_UPDATE_FRAME, flag: 0, length: WINDOW / 2 }]
    )
    // A full window again after the update: the sender never waits on a window that is not there.
    for (let i = 0; i < WINDOW / frame / 2; i++) receive(stream, frame)
    assert.equal(sent.length, 2)
    assert.equal(sent[1]?.length, WINDOW / 2)
  })

  it('grows the window of a busy stream to its maximum, as yamux does, and then sends an update per half of it', () => {
    // Every frame comes well within four round trips of the last update.
    const { stream, sent } = yamuxStream(StreamState.Established, 60_000)
    const frame = 1024
    for (let i = 0; i < 3; i++) receive(stream, frame)
    // 256 KiB → 512 KiB → 1 MiB → 2 MiB, each larger window sent at once.
    assert.deepEqual(
      sent.map(({ length }) => length),
      [WINDOW + frame, 2 * WINDOW + frame, 4 * WINDOW + frame]
    )
    for (let i = 0; i < MAX_WINDOW / 2 / frame - 1; i++) receive(stream, frame)
    assert.equal(sent.length, 3)
    receive(stream, frame)
    assert.equal(sent.length, 4)
    assert.equal(sent[3]?.length, MAX_WINDOW / 2)
  })

  it('still acknowledges a new stream at once, however little it carries', () => {
    const { stream, sent } = yamuxStream(StreamState.SYNReceived)
    receive(stream, 10)
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.type, WINDOW_UPDATE_FRAME)
    assert.equal(sent[0]?.flag, ACK)
    assert.equal(sent[0]?.length, 10)
  })

  it('sends nothing while the reader is paused, and the update once it resumes with half the window used', () => {
    const { stream, sent } = yamuxStream(StreamState.Established)
    stream.sendPause()
    for (let i = 0; i < 3; i++) receive(stream, WINDOW / 4)
    assert.equal(sent.length, 0)
    stream.sendResume()
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.length, (3 * WINDOW) / 4)
  })

  it("gives every Noise connection's decoder the length reader that does not throw, and data still flows both ways", async () => {
    const before = { ...noiseDecoderTweaks }
    const a = new NetHost({ key: NodeKey.random() })
    await a.start()
    const b = new NetHost({ key: NodeKey.random(), bootstrap: a.addresses() })
    try {
      await b.start()
      assert.deepEqual(b.connectedNodes(), [a.nodeId])
      // Both ends of the connection are in this process (and no connection, of any test here, went untweaked).
      await waitFor('both ends of the connection secured', () => noiseDecoderTweaks.applied - before.applied >= 2)
      assert.equal(noiseDecoderTweaks.missed, before.missed)
      // Past the handshake, over the tweaked decoders: identify's record each way.
      await waitFor('identify both ways', async () => {
        const [ofA, ofB] = await Promise.all([b.libp2p.peerStore.get(a.libp2p.peerId), a.libp2p.peerStore.get(b.libp2p.peerId)])
        return ofA.protocols.length > 0 && ofB.protocols.length > 0
      })
      // Many times the receive window through one stream: the updates that are sent keep it moving.
      const total = 8 * 1024 * 1024
      await a.libp2p.handle(SINK, async stream => {
        let bytes = 0
        for await (const chunk of stream) bytes += chunk.byteLength
        stream.send(new TextEncoder().encode(String(bytes)))
        await stream.close()
      })
      const stream = await b.libp2p.dialProtocol(a.libp2p.peerId, SINK)
      const chunk = new Uint8Array(64 * 1024).fill(7)
      for (let sent = 0; sent < total; sent += chunk.byteLength) if (!stream.send(chunk)) await stream.onDrain()
      await stream.close()
      let answer = ''
      for await (const part of stream) answer += new TextDecoder().decode(part.subarray())
      assert.equal(Number(answer), total)
    } finally {
      await b.stop()
      await a.stop()
    }
  })
})
