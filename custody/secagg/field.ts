// The prime field the seeds are secret-shared in: GF(2^521 − 1), a Mersenne
// prime larger than any 256-bit seed, so that a seed is one field element.
export const FIELD_PRIME = (1n << 521n) - 1n
/** Bytes of one field element, big-endian (521 bits round up to 66 bytes). */
export const FIELD_BYTES = 66

export function mod(value: bigint): bigint {
  const r = value % FIELD_PRIME
  return r < 0n ? r + FIELD_PRIME : r
}

export function mul(a: bigint, b: bigint): bigint {
  return mod(a * b)
}

/** a^e mod p by squaring. */
export function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = mod(base)
  let e = exponent
  while (e > 0n) {
    if ((e & 1n) === 1n) result = mul(result, b)
    b = mul(b, b)
    e >>= 1n
  }
  return result
}

/** The inverse by Fermat's little theorem (p is prime); 0 has none. */
export function inverse(value: bigint): bigint {
  const v = mod(value)
  if (v === 0n) throw new RangeError('0 has no inverse')
  return pow(v, FIELD_PRIME - 2n)
}

/** A uniform element of the field from the system's secure randomness (rejection sampling). */
export function randomElement(): bigint {
  const bytes = new Uint8Array(FIELD_BYTES)
  for (;;) {
    crypto.getRandomValues(bytes)
    // 528 bits drawn; keep the low 521 and reject the one value ≥ p (2^521 − 1 itself).
    bytes[0]! &= 0x01
    const value = bytesToBigint(bytes)
    if (value < FIELD_PRIME) return value
  }
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

export function bigintToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(length * 8) !== 0n) throw new RangeError(`value does not fit in ${length} bytes`)
  const bytes = new Uint8Array(length)
  let v = value
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return bytes
}
