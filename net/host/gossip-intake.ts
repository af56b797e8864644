// Gossip read no faster than it is judged. A libp2p stream hands every byte
// it receives to its reader's queue at once (and the muxer grants the sender
// more window at once), so a peer sending faster than this node can check
// signatures fills that queue without bound. Here each inbound gossip stream
// counts what came in against what gossipsub has taken and handled (with
// awaitRpcHandler, the next frame is taken only when the last one is judged),
// and a stream too far behind is paused: the muxer then grants no more
// window, and the sender waits. It resumes when what it handed on is down to
// half its bound, which must be more than the largest frame (a frame half
// come in is judged only when the rest comes). A paused stream holds at most
// one window more (see the muxer's window bound in libp2p-options.ts).
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

export interface IntakeBound {
  /** Bytes one stream may have read and not yet judged before it is paused (more than twice the largest frame). */
  maxStreamBacklogBytes: number
}

export interface IntakeStats {
  /** Bytes read from gossip streams and not yet judged. */
  backlogBytes: number
  /** Times a stream was paused for being behind. */
  pauses: number
}

interface RawStream {
  readStatus: string
  /** Bytes the stream holds back from its reader while paused. */
  readonly readBufferLength: number
  onData: (data: { byteLength: number }) => void
  pause: () => void
  resume: () => void
  addEventListener: (type: 'close', listener: () => void, options: { once: true }) => void
}

type Frames = AsyncIterable<{ byteLength: number }>

/** What this relies on of gossipsub's inside (checked at start, so an upgrade that moves it fails loudly). */
interface IntakeInternals {
  pipePeerReadStream?: (peerId: PeerId, source: Frames) => Promise<void>
  streamsInbound: Map<string, { rawStream: RawStream }>
}

interface StreamIntake {
  readonly stream: RawStream
  backlog: number
  paused: boolean
}

export function boundIntake(pubsub: GossipSub, bound: IntakeBound): () => IntakeStats {
  const internals = pubsub as unknown as IntakeInternals
  const pipe = internals.pipePeerReadStream
  if (typeof pipe !== 'function' || !(internals.streamsInbound instanceof Map))
    throw new Error('this gossipsub version has no pipePeerReadStream or streamsInbound: the intake bound needs another hook')
  const streams = new Set<StreamIntake>()
  let total = 0
  let pauses = 0

  const arrived = (intake: StreamIntake, bytes: number): void => {
    intake.backlog += bytes
    total += bytes
    if (intake.paused || intake.backlog <= bound.maxStreamBacklogBytes || intake.stream.readStatus !== 'readable') return
    intake.stream.pause()
    intake.paused = true
    pauses++
  }
  const judged = (intake: StreamIntake, bytes: number): void => {
    // Bytes that came before counting began are not counted back.
    const counted = Math.min(bytes, intake.backlog)
    intake.backlog -= counted
    total -= counted
    // What the paused stream holds back is read but not yet handed on: it does not keep it paused.
    if (!intake.paused || intake.backlog - intake.stream.readBufferLength > bound.maxStreamBacklogBytes / 2) return
    intake.paused = false
    if (intake.stream.readStatus === 'paused') intake.stream.resume()
  }
  const forget = (intake: StreamIntake): void => {
    if (!streams.delete(intake)) return
    total -= intake.backlog
    intake.backlog = 0
  }

  internals.pipePeerReadStream = function (this: GossipSub, peerId: PeerId, source: Frames): Promise<void> {
    const stream = internals.streamsInbound.get(peerId.toString())?.rawStream
    if (stream === undefined) return pipe.call(this, peerId, source)
    const intake: StreamIntake = { stream, backlog: 0, paused: false }
    streams.add(intake)
    const onData = stream.onData.bind(stream)
    stream.onData = data => {
      arrived(intake, data.byteLength)
      onData(data)
    }
    stream.addEventListener(
      'close',
      () => {
        forget(intake)
      },
      { once: true }
    )
    return pipe
      .call(
        this,
        peerId,
        judgedAsTaken(source, bytes => judged(intake, bytes))
      )
      .finally(() => {
        forget(intake)
      })
  }
  return () => ({ backlogBytes: total, pauses })
}

/** Each frame counts as judged when the next one is asked for (or the reading ends). */
async function* judgedAsTaken(source: Frames, judged: (bytes: number) => void): Frames {
  for await (const frame of source) {
    try {
      yield frame
    } finally {
      judged(frame.byteLength + varintLength(frame.byteLength))
    }
  }
}

/** Bytes of the unsigned varint length prefix in front of a frame of this many bytes. */
function varintLength(value: number): number {
  let bytes = 1
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) bytes++
  return bytes
}
