// Keeps requester-supplied URLs (transfers, packages) from reaching the
// provider's own machine or private network, unless the provider allows it.
// Redirects are followed by hand so that each hop is checked.
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { ExeUnitError } from '../errors.ts'

const PRIVATE = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) PRIVATE.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6')
}

function isPrivate (address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return PRIVATE.check(mapped[1] as string, 'ipv4')
  return PRIVATE.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
}

export async function assertReachable (url: URL, allowPrivateNetworks: boolean): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ExeUnitError('BadRequest', `${url.protocol} URLs are not supported here`)
  }
  if (allowPrivateNetworks) return
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map(entry => entry.address)
  if (addresses.some(isPrivate)) {
    throw new ExeUnitError('BadRequest', `${url.host} is a private or local address, which this provider does not reach`)
  }
}

const MAX_REDIRECTS = 5

/** fetch() that checks every address it goes to; a body stream cannot follow a redirect. */
export async function guardedFetch (url: URL, init: RequestInit, allowPrivateNetworks: boolean): Promise<Response> {
  let current = url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    await assertReachable(current, allowPrivateNetworks)
    const response = await fetch(current, { ...init, redirect: 'manual' })
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null) return response
    await response.body?.cancel()
    if (init.body !== undefined && init.body !== null) {
      throw new ExeUnitError('BadRequest', `${current.href} redirects an upload, which is not followed`)
    }
    current = new URL(location, current)
  }
  throw new ExeUnitError('BadRequest', `${url.href} redirects more than ${MAX_REDIRECTS} times`)
}
