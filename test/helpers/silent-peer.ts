// A bootstrap peer that accepts the TCP connection and never answers: a dial
// to it holds a node's start inside the network's start-up, for as long as a
// test needs it to.
import { once } from 'node:events'
import { type Server, type Socket, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { NodeKey } from '../../net/index.ts'

export interface SilentPeer {
  /** Its multiaddr, with the peer id of a key nobody holds. */
  address: string
  /** Resolves when a node has connected to it. */
  connected: () => Promise<unknown>
  close: () => void
}

export async function silentPeer(): Promise<SilentPeer> {
  const held: Socket[] = []
  const server: Server = createServer(socket => {
    held.push(socket)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    address: `/ip4/127.0.0.1/tcp/${port}/p2p/${NodeKey.random().peerId.toString()}`,
    connected: async () => await once(server, 'connection'),
    close: () => {
      for (const socket of held) socket.destroy()
      server.close()
    }
  }
}
