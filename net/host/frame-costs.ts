// Two per-frame costs of libp2p's Noise and Yamux that a busy node pays on
// every message, taken away without changing a byte of either protocol:
//
// - Yamux (js) answers every data frame it receives with a window update,
//   one more frame, encryption and socket write for each gossip message or
//   request. Go's and Rust's yamux send one only once half the window is
//   used (or with a flag to carry); so does this, the rest kept as it is.
// - Noise learns that a read ended between frames from a RangeError, thrown
//   with its stack for each socket read (about 14 µs here). Its decoder is
//   given a length reader that says "not yet" without throwing.
//
// Both reach into the libraries' internals (pinned in package.json), so each
// says whether it took hold, and a test fails when an upgrade moves them.
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import type { ConnectionEncrypter } from '@libp2p/interface'

/** The fields of YamuxStream the window update uses (private in its types, plain properties at run time). */
interface YamuxWindow {
  state: number
  recvWindow: number
  recvWindowCapacity: number
  maxStreamWindowSize: number
  epochStart: number
  getRTT: () => number
  getSendFlags: () => number
  sendFrame: (header: { type: number; flag: number; streamID: number; length: number }) => boolean
  streamId: number
}

// Yamux's frame type (its frame.ts, not exported).
const WINDOW_UPDATE_FRAME = 0x1

let yamuxPatched: boolean | undefined

/**
 * Makes every Yamux stream of this process send a window update only when
 * half its receive window is used, or its window grows, or a flag (SYN, ACK)
 * must go out; true when it took hold. Safe to call more than once.
 */
export function fewerYamuxWindowUpdates(): boolean {
  if (yamuxPatched !== undefined) return yamuxPatched
  const prototype = YamuxStream.prototype as unknown as Partial<YamuxWindow> & { sendWindowUpdate?: () => void }
  yamuxPatched = typeof prototype.sendWindowUpdate === 'function' && typeof prototype.getSendFlags === 'function'
  if (!yamuxPatched) return false
  prototype.sendWindowUpdate = function (this: YamuxWindow): void {
    const now = Date.now()
    // Not reading now: the remote may use up the window, and resuming sends the update.
    if (this.state === StreamState.Paused) {
      this.epochStart = now
      return
    }
    const flags = this.getSendFlags()
    // As yamux does: data again within four round trips of the last update
    // doubles the window, up to its maximum (a busy stream gets it within a
    // few frames), and the larger window is sent at once. A window kept at
    // its first size starved a busy reader whose sender was slow to hear.
    const rtt = this.getRTT()
    if (flags === 0 && rtt > -1 && now - this.epochStart <= rtt * 4) this.recvWindow = Math.min(this.recvWindow * 2, this.maxStreamWindowSize)
    const used = this.recvWindow - this.recvWindowCapacity
    if (flags === 0 && used < this.recvWindow / 2) return
    this.recvWindowCapacity = this.recvWindow
    this.epochStart = now
    this.sendFrame({ type: WINDOW_UPDATE_FRAME, flag: flags, streamID: this.streamId, length: used })
  }
  return true
}

/** Bytes a decoder's length reader is handed: a list of chunks (uint8arraylist), or one chunk. */
type Chunks = Uint8Array | { length: number; getUint16: (offset: number) => number }

interface FramesDecoder {
  lengthDecoder: (data: Chunks) => number
  maxDataLength: number
}

/** How many secured connections had Noise's decoder given the quiet length reader, and how many could not be. */
export const noiseDecoderTweaks = { applied: 0, missed: 0 }

/** Noise, its connections' frame decoders reading a frame's length without throwing. */
export function noiseWithQuietDecoder(encrypter: ConnectionEncrypter): ConnectionEncrypter {
  const tweak = <S extends { connection: unknown }>(secured: S): S => {
    const decoder = (secured.connection as { decoder?: Partial<FramesDecoder> }).decoder
    if (decoder === undefined || typeof decoder.lengthDecoder !== 'function' || typeof decoder.maxDataLength !== 'number') {
      noiseDecoderTweaks.missed++
      return secured
    }
    // Short of a length, the longest frame allowed: more than is buffered, so the decoder waits for more.
    const notYet = decoder.maxDataLength
    decoder.lengthDecoder = data => {
      if (data.length < 2) return notYet
      return data instanceof Uint8Array ? ((data[0] as number) << 8) | (data[1] as number) : data.getUint16(0)
    }
    noiseDecoderTweaks.applied++
    return secured
  }
  return {
    protocol: encrypter.protocol,
    secureInbound: async (connection, options) => tweak(await encrypter.secureInbound(connection, options)),
    secureOutbound: async (connection, options) => tweak(await encrypter.secureOutbound(connection, options))
  }
}
