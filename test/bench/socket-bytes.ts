// Bytes sent on loopback TCP sockets, read from the kernel's socket table
// (`ss -ti`): what really went on the wire (Noise, Yamux and all), counted
// outside the process. Only sockets with one end on a given set of ports are
// kept: those are the connections between the benchmark's own nodes.
import { execFileSync } from 'node:child_process'

/** Bytes sent so far per socket ("local->peer"), for sockets touching `ports`. */
export function socketBytesSent(ports: ReadonlySet<number>): Map<string, number> {
  const text = execFileSync('ss', ['-tinH', 'state', 'established'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const sent = new Map<string, number>()
  let socket: string | undefined
  for (const line of text.split('\n')) {
    const ends = /^\s*\d+\s+\d+\s+(\S+):(\d+)\s+(\S+):(\d+)/.exec(line)
    if (ends !== null) {
      const [, localIp, localPort, peerIp, peerPort] = ends
      socket = ports.has(Number(localPort)) || ports.has(Number(peerPort)) ? `${localIp}:${localPort}->${peerIp}:${peerPort}` : undefined
      if (socket !== undefined) sent.set(socket, 0)
      continue
    }
    if (socket === undefined) continue
    const bytes = /\bbytes_acked:(\d+)/.exec(line) ?? /\bbytes_sent:(\d+)/.exec(line)
    if (bytes !== null) sent.set(socket, Number(bytes[1]))
  }
  return sent
}

/** What all those sockets sent between two readings (sockets opened since count from zero). */
export function bytesSentBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let total = 0
  for (const [socket, bytes] of after) total += Math.max(0, bytes - (before.get(socket) ?? 0))
  return total
}
