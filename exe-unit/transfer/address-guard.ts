// Keeps requester-supplied URLs (transfers, packages) from reaching the
// provider's own machine or private network, unless the provider allows it.
// A host name is resolved once; the connection then goes to the address that
// was checked. Redirects are followed by hand so that each hop is checked.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { ExeUnitError } from '../errors.ts'
import { refusalOf } from './address-policy.ts'
import type { AddressPolicyOptions } from './address-policy.ts'
import { pinnedFetch } from './pinned-fetch.ts'
import type { PinnedAddress, PinnedRequest } from './pinned-fetch.ts'

export type Resolver = (hostname: string) => Promise<PinnedAddress[]>

export interface GuardOptions extends AddressPolicyOptions {
  allowPrivateNetworks: boolean
  /** Resolves a host name to its addresses; the system resolver by default. */
  resolve?: Resolver
}

const systemResolver: Resolver = async hostname =>
  (await lookup(hostname, { all: true, verbatim: true })).map(entry => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }))

/** The address to connect to for `url`, refused when any address of its host is off limits. */
export async function vetAddress(url: URL, options: GuardOptions): Promise<PinnedAddress> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ExeUnitError('BadRequest', `${url.protocol} URLs are not supported here`)
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const family = isIP(host)
  let addresses: PinnedAddress[]
  if (family !== 0) {
    addresses = [{ address: host, family: family === 6 ? 6 : 4 }]
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(host)
    } catch {
      throw new ExeUnitError('BadRequest', `${url.host} cannot be resolved`)
    }
  }
  const first = addresses[0]
  if (first === undefined) throw new ExeUnitError('BadRequest', `${url.host} has no address`)
  if (!options.allowPrivateNetworks) {
    for (const { address } of addresses) {
      const why = refusalOf(address, options)
      if (why !== null) throw new ExeUnitError('BadRequest', `${url.host} is a private or local address (${why}), which this provider does not reach`)
    }
  }
  return first
}

const MAX_REDIRECTS = 5

/** An HTTP exchange that checks every address it goes to and connects to exactly that one. */
export async function guardedFetch(url: URL, init: PinnedRequest, options: GuardOptions): Promise<Response> {
  let current = url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const pinned = await vetAddress(current, options)
    const response = await pinnedFetch(current, pinned, init)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null) return response
    await response.body?.cancel()
    // A body stream cannot follow a redirect.
    if (init.body !== undefined) throw new ExeUnitError('BadRequest', `${current.href} redirects an upload, which is not followed`)
    current = new URL(location, current)
  }
  throw new ExeUnitError('BadRequest', `${url.href} redirects more than ${MAX_REDIRECTS} times`)
}
