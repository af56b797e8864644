// Canonical JSON: object keys sorted by code unit, no white space, numbers in
// JavaScript's shortest form (as RFC 8785). The same value always gives the
// same bytes, so a signature over it can be checked by anyone.
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export function canonicalJson(value: unknown): string {
  return write(value, '$')
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} has no JSON form`)
      return JSON.stringify(value)
    case 'object':
      if (Array.isArray(value)) return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(',')}]`
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new TypeError(`${path}: only plain objects have a canonical JSON form`)
      }
      return `{${Object.keys(value)
        .filter(key => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map(key => `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${path}.${key}`)}`)
        .join(',')}}`
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`)
  }
}
