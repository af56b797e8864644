import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { multiaddr } from '@multiformats/multiaddr'
import { StunServer, bindingSuccess, bindingTransactionOf } from '../../net/host/stun-server.ts'
import { stunEndpointsOf, stunServersOf } from '../../net/host/webrtc.ts'
import { bindingRequest, mappedAddressOf, stunBinding } from '../helpers/stun-client.ts'
import { waitFor } from '../helpers/wait.ts'

describe('the STUN server of a relay', () => {
  const servers: StunServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(async server => await server.close()))
  })

  it('answers a Binding request with the address it came from', async () => {
    const server = await StunServer.listen('127.0.0.1', 0)
    servers.push(server)
    const { mapped, ownPort } = await stunBinding('127.0.0.1', server.address.port)
    assert.deepEqual(mapped, { address: '127.0.0.1', port: ownPort })
    assert.deepEqual(server.stats, { answered: 1, dropped: 0 })
  })

  it('answers nothing else, and no more than its rate', async () => {
    let now = 1_000_000
    const server = await StunServer.listen('127.0.0.1', 0, { answersPerSecond: 1, answersBurst: 2, now: () => now })
    servers.push(server)
    const socket = createSocket('udp4')
    const answers: Buffer[] = []
    socket.on('message', message => answers.push(message))
    try {
      await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', resolve))
      const send = async (datagram: Buffer): Promise<void> => {
        await new Promise<void>((resolve, reject) => socket.send(datagram, server.address.port, '127.0.0.1', err => (err ? reject(err) : resolve())))
      }
      const wrongCookie = bindingRequest()
      wrongCookie.writeUInt32BE(0x12345678, 4)
      const notBinding = bindingRequest()
      notBinding.writeUInt16BE(0x0101, 0)
      const badLength = Buffer.concat([bindingRequest(), Buffer.alloc(3)])
      for (const junk of [wrongCookie, notBinding, badLength, Buffer.from('hello')]) await send(junk)
      const first = randomBytes(12)
      await send(bindingRequest(first))
      await waitFor('an answer', () => answers.length > 0)
      // The first answer is to the first well-formed request: nothing before it was answered.
      assert.ok(mappedAddressOf(answers[0] as Buffer, first) !== undefined)
      await send(bindingRequest())
      await send(bindingRequest())
      await waitFor('the third request dropped', () => server.stats.dropped === 1)
      assert.equal(server.stats.answered, 2)
      // A second later the bucket holds one more answer.
      now += 1_000
      await send(bindingRequest())
      await waitFor('answered again', () => server.stats.answered === 3)
      await waitFor('three answers received', () => answers.length === 3)
    } finally {
      socket.close()
    }
  })

  it('encodes IPv6 addresses as RFC 8489 says, and takes well-formed requests only', () => {
    const transaction = randomBytes(12)
    for (const [address, expanded] of [
      ['2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001'],
      ['fe80::1:2:3:4', 'fe80:0000:0000:0000:0001:0002:0003:0004'],
      ['::1', '0000:0000:0000:0000:0000:0000:0000:0001']
    ] as const) {
      assert.deepEqual(mappedAddressOf(bindingSuccess(transaction, { address, port: 51_234 }), transaction), { address: expanded, port: 51_234 })
    }
    assert.deepEqual(bindingTransactionOf(bindingRequest(transaction)), transaction)
    assert.equal(bindingTransactionOf(Buffer.alloc(19)), undefined)
    assert.equal(bindingTransactionOf(Buffer.alloc(600)), undefined)
  })

  it('is found where the relays are: the UDP port of their TCP port number', () => {
    const relay = '/ip4/10.9.0.1/tcp/7464/p2p/16Uiu2HAmRelay'
    const known = [
      { multiaddr: multiaddr(`${relay}/p2p-circuit`), verified: true },
      { multiaddr: multiaddr(`${relay}/p2p-circuit/webrtc`), verified: true },
      { multiaddr: multiaddr('/ip6/2001:db8::7/tcp/4001/p2p/16Uiu2HAmOther/p2p-circuit'), verified: true },
      { multiaddr: multiaddr('/ip4/10.9.0.9/tcp/1/p2p/16Uiu2HAmUnsure/p2p-circuit'), verified: false },
      { multiaddr: multiaddr('/ip4/192.168.1.5/tcp/7464'), verified: true }
    ]
    assert.deepEqual(stunServersOf(known), ['stun:10.9.0.1:7464', 'stun:[2001:db8::7]:4001'])
    const bound = [multiaddr('/ip4/10.9.0.1/tcp/40001'), multiaddr('/ip4/127.0.0.1/tcp/40001'), multiaddr('/ip4/127.0.0.1/tcp/40002/p2p-circuit')]
    assert.deepEqual(stunEndpointsOf(['/ip4/0.0.0.0/tcp/0', '/ip4/10.9.0.1/tcp/7464', '/ip6/::1/tcp/0', '/dns4/x.org/tcp/1'], bound), [
      { host: '0.0.0.0', port: 40001 },
      { host: '10.9.0.1', port: 7464 }
    ])
  })
})
