// JSON as UTF-8 bytes: how request frames and broadcast messages travel.

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

/** Parses UTF-8 JSON; throws on bytes that are not UTF-8 or not JSON. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes))
}
