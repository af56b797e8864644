// A STUN server (RFC 8489) that answers Binding requests alone: it tells a
// node behind a NAT the address its packets come from, which WebRTC's ICE
// needs to punch a hole to another such node. A relay runs one on the UDP
// port of the same number as its TCP listen port, so that the nodes holding
// a reservation on it know where to ask without being told (webrtc.ts). No
// authentication, no TURN: an answer is 32 bytes (44 for IPv6), little more
// than the smallest request, and answers are rate-limited, so it cannot be
// used to flood a third party much harder than that party could be directly.
import { createSocket } from 'node:dgram'
import { parseIP } from '@chainsafe/is-ip/parse'
import { isIPv6 } from 'node:net'
import { TokenBucket } from '../peers/token-bucket.ts'
import type { Socket, RemoteInfo } from 'node:dgram'

const MAGIC_COOKIE = 0x2112a442
const HEADER_BYTES = 20
const BINDING_REQUEST = 0x0001
const BINDING_SUCCESS = 0x0101
const XOR_MAPPED_ADDRESS = 0x0020
/** Larger datagrams are no Binding request of any client we know. */
const MAX_REQUEST_BYTES = 548

export interface StunServerOptions {
  /** Answers a second at most, with their burst (default 500, 1,000). */
  answersPerSecond?: number
  answersBurst?: number
  now?: () => number
}

export class StunServer {
  readonly #socket: Socket
  readonly #bucket: TokenBucket
  readonly #now: () => number
  #answered = 0
  #dropped = 0

  private constructor(socket: Socket, options: StunServerOptions) {
    this.#socket = socket
    this.#now = options.now ?? Date.now
    this.#bucket = new TokenBucket(options.answersPerSecond ?? 500, options.answersBurst ?? 1_000, this.#now())
    socket.on('message', (message, from) => {
      this.#onMessage(message, from)
    })
  }

  /** Listens on a UDP address; rejects when the port is taken. */
  static async listen(host: string, port: number, options: StunServerOptions = {}): Promise<StunServer> {
    // IPv6 only on an IPv6 socket: no IPv4-mapped addresses to answer.
    const socket = isIPv6(host) ? createSocket({ type: 'udp6', ipv6Only: true }) : createSocket({ type: 'udp4' })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    // A send that fails (the peer's host unreachable) is the peer's loss, not ours.
    socket.on('error', () => {})
    return new StunServer(socket, options)
  }

  get address(): { host: string; port: number } {
    const { address, port } = this.#socket.address()
    return { host: address, port }
  }

  /** Binding requests answered, and those dropped (over the rate); for tests and metrics. */
  get stats(): { answered: number; dropped: number } {
    return { answered: this.#answered, dropped: this.#dropped }
  }

  async close(): Promise<void> {
    await new Promise<void>(resolve => {
      this.#socket.close(() => {
        resolve()
      })
    })
  }

  #onMessage(message: Buffer, from: RemoteInfo): void {
    const transaction = bindingTransactionOf(message)
    if (transaction === undefined) return
    if (!this.#bucket.take(this.#now())) {
      this.#dropped++
      return
    }
    this.#answered++
    this.#socket.send(bindingSuccess(transaction, from), from.port, from.address)
  }
}

/** The transaction id of a well-formed Binding request, or undefined for anything else. */
export function bindingTransactionOf(message: Buffer): Buffer | undefined {
  if (message.length < HEADER_BYTES || message.length > MAX_REQUEST_BYTES) return undefined
  const length = message.readUInt16BE(2)
  if (message.readUInt16BE(0) !== BINDING_REQUEST || message.readUInt32BE(4) !== MAGIC_COOKIE) return undefined
  if (length !== message.length - HEADER_BYTES || length % 4 !== 0) return undefined
  return message.subarray(8, HEADER_BYTES)
}

/** A Binding success response carrying the requester's address, XORed as RFC 8489 says. */
export function bindingSuccess(transaction: Buffer, from: { address: string; port: number }): Buffer {
  const addressBytes = parseIP(from.address)
  if (addressBytes === undefined) throw new TypeError(`not an IP address: ${from.address}`)
  const ipv6 = addressBytes.length === 16
  const attribute = Buffer.alloc(4 + 4 + addressBytes.length)
  attribute.writeUInt16BE(XOR_MAPPED_ADDRESS, 0)
  attribute.writeUInt16BE(4 + addressBytes.length, 2)
  attribute.writeUInt8(ipv6 ? 0x02 : 0x01, 5)
  attribute.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 6)
  // The address is XORed with the cookie, and for IPv6 with the transaction id after it.
  const mask = Buffer.alloc(16)
  mask.writeUInt32BE(MAGIC_COOKIE, 0)
  transaction.copy(mask, 4)
  for (let i = 0; i < addressBytes.length; i++) attribute[8 + i] = (addressBytes[i] as number) ^ (mask[i] as number)
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt16BE(BINDING_SUCCESS, 0)
  header.writeUInt16BE(attribute.length, 2)
  header.writeUInt32BE(MAGIC_COOKIE, 4)
  transaction.copy(header, 8)
  return Buffer.concat([header, attribute])
}
