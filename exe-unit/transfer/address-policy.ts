// Which IP addresses a requester-supplied URL may make the provider connect
// to. IPv6 forms that carry an IPv4 address (mapped, compatible, translated,
// NAT64, 6to4) are judged by the address they carry; ranges that only ever
// lead to local or special-purpose networks are refused whole; and so is
// every address of the provider's own interfaces, public ones included.
import { isIPv4, isIPv6 } from 'node:net'
import { networkInterfaces } from 'node:os'

type Range = readonly [network: bigint, prefix: number, why: string]

const V4_SPECIAL: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast']
]

const V4_RANGES: Range[] = V4_SPECIAL.map(([network, prefix, why]) => [v4Value(network), prefix, why])

const V6_RANGES: Range[] = (
  [
    ['::', 96, 'unspecified, loopback or IPv4-compatible'],
    ['100::', 64, 'discard'],
    ['64:ff9b:1::', 48, 'local-use NAT64'],
    ['2001::', 23, 'IETF protocol assignments (Teredo included)'],
    ['2001:db8::', 32, 'documentation'],
    ['3fff::', 20, 'documentation'],
    ['5f00::', 16, 'segment routing'],
    ['fc00::', 7, 'unique local'],
    ['fe80::', 10, 'link-local'],
    ['fec0::', 10, 'site-local'],
    ['ff00::', 8, 'multicast']
  ] as const
).map(([network, prefix, why]) => [v6Value(network), prefix, why])

/** IPv6 prefixes whose low 32 bits (or, for 6to4, bits 16-47) are an IPv4 address. */
const V4_CARRIERS: ReadonlyArray<readonly [network: bigint, prefix: number, shift: bigint, name: string]> = [
  [v6Value('::ffff:0:0'), 96, 0n, 'IPv4-mapped'],
  [v6Value('::ffff:0:0:0'), 96, 0n, 'IPv4-translated'],
  [v6Value('64:ff9b::'), 96, 0n, 'NAT64'],
  [v6Value('2002::'), 16, 80n, '6to4']
]

export interface AddressPolicyOptions {
  /** The provider's own addresses; by default those of its network interfaces, read at each check. */
  ownAddresses?: () => Iterable<string>
}

/** Why the provider does not connect to `address`, or null when it may. */
export function refusalOf(address: string, options: AddressPolicyOptions = {}): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const own = new Set([...(options.ownAddresses ?? interfaceAddresses)()].map(canonical))
  if (own.has(canonical(bare))) return 'an address of this provider'
  if (isIPv4(bare)) return v4Refusal(v4Value(bare))
  if (!isIPv6(bare)) return 'not an IP address'
  const value = v6Value(bare)
  for (const [network, prefix, shift, name] of V4_CARRIERS) {
    if (!inRange(value, network, prefix, 128)) continue
    const carried = Number((value >> shift) & 0xffffffffn)
    const why = v4Refusal(BigInt(carried))
    if (why !== null) return `${name} form of a ${why} IPv4 address`
    if (own.has(v4Text(carried))) return `${name} form of an address of this provider`
    return null
  }
  for (const [network, prefix, why] of V6_RANGES) if (inRange(value, network, prefix, 128)) return why
  return null
}

function v4Refusal(value: bigint): string | null {
  for (const [network, prefix, why] of V4_RANGES) if (inRange(value, network, prefix, 32)) return why
  return null
}

function inRange(value: bigint, network: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix)
  return value >> shift === network >> shift
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap(list => (list ?? []).map(entry => entry.address))
}

/** One spelling per address: IPv4 dotted, IPv6 as a 32-digit hex number (mapped IPv4 folded to IPv4). */
function canonical(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIPv4(bare)) return bare
  if (!isIPv6(bare)) return bare.toLowerCase()
  const value = v6Value(bare)
  if (value >> 32n === 0xffffn) return v4Text(Number(value & 0xffffffffn))
  return value.toString(16).padStart(32, '0')
}

function v4Value(address: string): bigint {
  return BigInt(address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0))
}

function v4Text(value: number): string {
  return [24, 16, 8, 0].map(shift => (value >>> shift) & 0xff).join('.')
}

/** The 128-bit value of a valid IPv6 address (zero runs and trailing dotted IPv4 included). */
function v6Value(address: string): bigint {
  let text = address.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted !== null) {
    const v4 = Number(v4Value(dotted[1] as string))
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? 0 : 8 - headParts.length - tailParts.length
  const groups = [...headParts, ...Array<string>(zeros).fill('0'), ...tailParts]
  return groups.reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n)
}
