// One HTTP(S) exchange with a host whose address was resolved and vetted
// beforehand: the socket goes to exactly that address (no second DNS lookup,
// so no rebinding between the check and the connection), while the Host
// header, SNI and certificate check still use the URL's host name.
import { request as httpRequest } from 'node:http'
import type { IncomingMessage, RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface PinnedAddress {
  address: string
  family: 4 | 6
}

export interface PinnedRequest {
  method?: string
  body?: AsyncIterable<Uint8Array>
  signal?: AbortSignal
}

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([204, 205, 304])

export function pinnedLookup(pinned: PinnedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all === true) callback(null, [{ address: pinned.address, family: pinned.family }])
    else callback(null, pinned.address, pinned.family)
  }) as LookupFunction
}

export async function pinnedFetch(url: URL, pinned: PinnedAddress, init: PinnedRequest = {}): Promise<Response> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const options: RequestOptions = {
    method: init.method ?? 'GET',
    lookup: pinnedLookup(pinned),
    // A fresh connection each time: a pooled socket could have been opened to another address.
    agent: false,
    headers: init.body === undefined ? {} : { 'transfer-encoding': 'chunked' }
  }
  if (init.signal !== undefined) options.signal = init.signal
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(url, options, resolve)
    request.once('error', reject)
    if (init.body === undefined) {
      request.end()
      return
    }
    pipeline(Readable.from(init.body), request).catch(error => {
      request.destroy(error as Error)
      reject(error)
    })
  })
  const headers = new Headers()
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const status = response.statusCode ?? 502
  if (status < 200 || status > 599) {
    response.destroy()
    return new Response(null, { status: 502 })
  }
  if (NULL_BODY.has(status)) {
    response.resume()
    return new Response(null, { status, headers })
  }
  return new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, { status, headers })
}
