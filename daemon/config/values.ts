// Parsers for the string forms of config values (environment and flags).
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from './errors.ts'
import { KEYSTORE_COSTS, LOG_LEVELS } from './choices.ts'
import type { KeystoreCost, LogLevel } from './choices.ts'

/** `host:port`, `[v6]:port` or `:port` (then host is left to the other sources). */
export function parseHostPort(text: string, source: string): { host?: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match === null || !(port <= 65535)) {
    throw new ConfigError(`${source}: expected host:port (e.g. 127.0.0.1:7465), got ${JSON.stringify(text)}`)
  }
  const host = match[1] ?? match[2]
  return host === undefined || host === '' ? { port } : { host, port }
}

/** A comma-separated list; blanks are dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map(item => item.trim())
    .filter(item => item !== '')
}

export function checkMultiaddrs(addresses: readonly string[], source: string): void {
  addresses.forEach((address, index) => {
    try {
      // multiaddr('') is the empty address, which no one can listen on or dial.
      if (!address.startsWith('/')) throw new Error('it must start with "/"')
      multiaddr(address)
    } catch (err) {
      throw new ConfigError(`${source}[${index}]: ${JSON.stringify(address)} is not a multiaddr (${(err as Error).message})`)
    }
  })
}

export function parseLogLevel(text: string, source: string): LogLevel {
  const level = LOG_LEVELS.find(candidate => candidate === text.trim().toLowerCase())
  if (level === undefined) throw new ConfigError(`${source}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`)
  return level
}

export function parseKeystoreCost(text: string, source: string): KeystoreCost {
  const cost = KEYSTORE_COSTS.find(candidate => candidate === text.trim())
  if (cost === undefined) throw new ConfigError(`${source}: expected one of ${KEYSTORE_COSTS.join(', ')}, got ${JSON.stringify(text)}`)
  return cost
}
