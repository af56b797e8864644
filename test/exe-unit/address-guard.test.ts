// The SSRF guard's decisions, as a table (no traffic leaves the machine), and
// its connect path against a loopback server: the socket goes to the address
// that was checked, whatever a second lookup would have answered.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { guardedFetch, vetAddress } from '../../exe-unit/transfer/address-guard.ts'
import type { Resolver } from '../../exe-unit/transfer/address-guard.ts'
import { refusalOf } from '../../exe-unit/transfer/address-policy.ts'

/** A stand-in for the provider's own public interface address. */
const OWN_PUBLIC = '8.8.4.4'
const own = { ownAddresses: () => [OWN_PUBLIC, '2a00:1450:4001:81c::200e'] }

describe('exe-unit address guard', () => {
  const refused: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local/],
    ['100.64.0.1', /carrier NAT/],
    ['0.0.0.0', /this network/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.1', /multicast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['::127.0.0.1', /IPv4-compatible/],
    ['::7f00:1', /IPv4-compatible/],
    ['::ffff:127.0.0.1', /IPv4-mapped form of a loopback/],
    ['::ffff:7f00:1', /IPv4-mapped form of a loopback/],
    ['::ffff:10.0.0.1', /IPv4-mapped form of a private/],
    ['::ffff:0:192.168.0.1', /IPv4-translated form of a private/],
    ['64:ff9b::127.0.0.1', /NAT64 form of a loopback/],
    ['64:ff9b::a00:1', /NAT64 form of a private/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::', /6to4 form of a loopback/],
    ['2002:c0a8:101::1', /6to4 form of a private/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001:db8::1', /documentation/],
    ['fc00::1', /unique local/],
    ['fd12:3456::1', /unique local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fec0::1', /site-local/],
    ['feff::1', /site-local/],
    ['ff02::1', /multicast/],
    [OWN_PUBLIC, /an address of this provider/],
    ['::ffff:8.8.4.4', /an address of this provider/],
    ['64:ff9b::808:404', /NAT64 form of an address of this provider/],
    ['2a00:1450:4001:081c:0000:0000:0000:200e', /an address of this provider/]
  ]
  const allowed = ['8.8.8.8', '1.1.1.1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2606:4700:4700::1111', '2a00:1450:4001:81c::200f']

  for (const [address, why] of refused) {
    it(`refuses ${address}`, () => {
      assert.match(refusalOf(address, own) ?? 'allowed', why)
    })
  }
  for (const address of allowed) {
    it(`allows ${address}`, () => {
      assert.equal(refusalOf(address, own), null)
    })
  }

  it("refuses every address of the provider's own interfaces", () => {
    const addresses = Object.values(networkInterfaces()).flatMap(list => (list ?? []).map(entry => entry.address))
    assert.ok(addresses.length > 0)
    for (const address of addresses) assert.notEqual(refusalOf(address), null, address)
  })

  it('judges URLs by their host in every spelling, before any connection', async () => {
    const noDns: Resolver = async () => {
      throw new Error('no lookup expected')
    }
    for (const url of [
      'http://[::127.0.0.1]/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://[::ffff:7f00:1]/',
      'http://[64:ff9b::7f00:1]/',
      'http://[fec0::1]/'
    ]) {
      await assert.rejects(vetAddress(new URL(url), { allowPrivateNetworks: false, resolve: noDns }), /private or local address/, url)
    }
    // A name is refused when any of its addresses is.
    const mixed: Resolver = async () => [
      { address: '8.8.8.8', family: 4 },
      { address: '10.0.0.1', family: 4 }
    ]
    await assert.rejects(vetAddress(new URL('http://mixed.example/'), { allowPrivateNetworks: false, resolve: mixed }), /private or local address \(private\)/)
    await assert.rejects(vetAddress(new URL('ftp://8.8.8.8/'), { allowPrivateNetworks: false }), /ftp: URLs are not supported/)
    assert.deepEqual(await vetAddress(new URL('http://8.8.8.8/'), { allowPrivateNetworks: false }), { address: '8.8.8.8', family: 4 })
  })

  it('connects to the address it checked, resolving the name once (no rebinding window)', async () => {
    const server = createServer((request, response) => response.end(`host=${request.headers.host}`))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      // The first answer is checked and used; a second lookup would lead elsewhere (nothing listens there).
      const answers = ['127.0.0.1', '127.0.0.2']
      let lookups = 0
      const resolve: Resolver = async () => [{ address: answers[lookups++] ?? '127.0.0.3', family: 4 }]
      const response = await guardedFetch(new URL(`http://rebind.test:${port}/x`), {}, { allowPrivateNetworks: true, resolve })
      assert.equal(response.status, 200)
      assert.equal(await response.text(), `host=rebind.test:${port}`)
      assert.equal(lookups, 1)
      // Guarded, the same name is refused before any connection is made.
      lookups = 0
      await assert.rejects(guardedFetch(new URL(`http://rebind.test:${port}/x`), {}, { allowPrivateNetworks: false, resolve }), /private or local address/)
      assert.equal(lookups, 1)
    } finally {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  })
})
