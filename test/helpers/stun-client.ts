// A STUN Binding request as a client sends one (RFC 8489), and the address
// the answer gives back: what the tests of the STUN server and of relays ask.
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'

const MAGIC_COOKIE = 0x2112a442

export function bindingRequest(transaction = randomBytes(12)): Buffer {
  const request = Buffer.alloc(20)
  request.writeUInt16BE(0x0001, 0)
  request.writeUInt32BE(MAGIC_COOKIE, 4)
  transaction.copy(request, 8)
  return request
}

/** The XOR-MAPPED-ADDRESS of a Binding success response, or undefined when the datagram is not one. */
export function mappedAddressOf(response: Buffer, transaction: Buffer): { address: string; port: number } | undefined {
  if (response.length < 20 || response.readUInt16BE(0) !== 0x0101 || !response.subarray(8, 20).equals(transaction)) return undefined
  for (let at = 20; at + 4 <= response.length; ) {
    const type = response.readUInt16BE(at)
    const length = response.readUInt16BE(at + 2)
    if (type === 0x0020) {
      const family = response.readUInt8(at + 5)
      const port = response.readUInt16BE(at + 6) ^ (MAGIC_COOKIE >>> 16)
      const mask = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), transaction])
      const bytes = Buffer.from(response.subarray(at + 8, at + 4 + length).map((byte, i) => byte ^ (mask[i] as number)))
      const address = family === 0x01 ? [...bytes].join('.') : (bytes.toString('hex').match(/.{4}/g) ?? []).join(':')
      return { address, port }
    }
    at += 4 + length + ((4 - (length % 4)) % 4)
  }
  return undefined
}

/**
 * Sends one Binding request from a fresh socket and waits for its answer:
 * the address the server saw it come from, and the socket's own port.
 * Fails when no answer comes within `ms`.
 */
export async function stunBinding(host: string, port: number, ms = 10_000): Promise<{ mapped: { address: string; port: number }; ownPort: number }> {
  const socket = createSocket('udp4')
  const transaction = randomBytes(12)
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no STUN answer from ${host}:${port} within ${ms} ms`))
      }, ms)
      socket.on('error', reject)
      socket.on('message', message => {
        const mapped = mappedAddressOf(message, transaction)
        if (mapped === undefined) return
        clearTimeout(timer)
        resolve({ mapped, ownPort: socket.address().port })
      })
      socket.send(bindingRequest(transaction), port, host)
    })
  } finally {
    socket.close()
  }
}
