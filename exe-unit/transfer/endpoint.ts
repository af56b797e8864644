// The two ends of a transfer command: a URL on the web, a file in the
// activity's volumes (container:/path), or a file on the requester's side.
import { posix } from 'node:path'
import { ExeUnitError } from '../errors.ts'
import { REQUESTER_SCHEMES } from './requester-channel.ts'

export type Endpoint = { kind: 'http'; url: URL } | { kind: 'container'; path: string } | { kind: 'requester'; url: string }

export function parseEndpoint(text: string, field: 'from' | 'to'): Endpoint {
  if (text.startsWith('container:')) {
    const path = text.slice('container:'.length)
    if (!path.startsWith('/')) throw new ExeUnitError('BadRequest', `transfer.${field}: container path must be absolute, got "${path}"`)
    const normal = posix.normalize(path)
    if (normal.endsWith('/')) throw new ExeUnitError('BadRequest', `transfer.${field}: container path must name a file, got "${path}"`)
    return { kind: 'container', path: normal }
  }
  if (REQUESTER_SCHEMES.some(scheme => text.startsWith(scheme))) return { kind: 'requester', url: text }
  if (text.startsWith('http://') || text.startsWith('https://')) {
    try {
      return { kind: 'http', url: new URL(text) }
    } catch {
      throw new ExeUnitError('BadRequest', `transfer.${field}: "${text.slice(0, 200)}" is not a valid URL`)
    }
  }
  throw new ExeUnitError(
    'BadRequest',
    `transfer.${field}: "${text.slice(0, 200)}" has an unsupported scheme (http, https, container, ${REQUESTER_SCHEMES.join(', ').replaceAll(':', '')})`
  )
}
