import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { ipOf } from '../../net/host/ip-of.ts'
import { isPublicIp, relayOf, statusOf } from '../../net/host/reachability.ts'

const RELAY = '16Uiu2HAmCQ9hquaQ79qF8S1vemncYDqVB6tdaZ2EnyZW19BrxzpZ'
const NODE = '16Uiu2HAmB6REE7WijmiBpFrfEPs9ynsHjpNTgULntokHzqtfRXBt'

describe('reachability facts', () => {
  const known = (address: string, verified: boolean) => ({ multiaddr: multiaddr(address), verified })

  it('tells public addresses from those of private, loopback, link-local and documentation networks', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.4.4']) assert.equal(isPublicIp(ip), true, ip)
    for (const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '100.64.0.1',
      '169.254.1.1',
      '203.0.113.9',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      'nonsense'
    ])
      assert.equal(isPublicIp(ip), false, ip)
  })

  it('is public once a public address is confirmed, unknown while one waits, private with none', () => {
    assert.equal(statusOf([known('/ip4/10.0.0.2/tcp/7464', true), known('/ip4/8.8.8.8/tcp/7464', true)]), 'public')
    assert.equal(statusOf([known('/ip4/10.0.0.2/tcp/7464', true), known('/ip4/8.8.8.8/tcp/7464', false)]), 'unknown')
    assert.equal(statusOf([known('/ip4/10.0.0.2/tcp/7464', true), known(`/ip4/8.8.8.8/tcp/1/p2p/${RELAY}/p2p-circuit`, true)]), 'private')
    assert.equal(statusOf([known('/dns4/node.example.org/tcp/7464', true)]), 'public')
    assert.equal(statusOf([]), 'private')
  })

  it('names the relay of a circuit address, and gives a relayed connection no IP of its own', () => {
    const circuit = multiaddr(`/ip4/8.8.8.8/tcp/1/p2p/${RELAY}/p2p-circuit/p2p/${NODE}`)
    assert.equal(relayOf(circuit), RELAY)
    assert.equal(relayOf(multiaddr(`/ip4/8.8.8.8/tcp/1/p2p/${NODE}`)), undefined)
    // The IP in it is the relay's, shared by every node relayed through it: no per-address budget.
    assert.equal(ipOf(circuit), undefined)
    assert.equal(ipOf(multiaddr('/ip4/10.0.0.2/tcp/7464')), '10.0.0.2')
  })
})
