// Properties arrive flat (`{"golem.inf.cpu.threads": 4}`), nested
// (`{"golem": {"inf": {"cpu": {"threads": 4}}}}`) or mixed; the market keeps
// them flat, with keys a constraint can name, and values of bounded size.
import { CodedError } from '../net/index.ts'
import { isNameChar } from './constraints/scanner.ts'
import type { FlatProperties, PropertyScalar, PropertyValueFlat } from './properties-types.ts'

export const PROPERTY_LIMITS = Object.freeze({
  maxProperties: 1024,
  maxKeyLength: 256,
  /** In UTF-16 code units, for a value and for each string in a list. */
  maxStringLength: 16384,
  maxListLength: 1024,
  /** Levels of nested objects. */
  maxNestingDepth: 32
})

/** In Golem's nested form, the value of a key that also has children. */
const TAG_KEY = '@tag'

export class PropertiesError extends CodedError<'BadRequest'> {
  override name = 'PropertiesError'
  /** The flat key at fault, when there is one. */
  readonly key: string | undefined

  constructor(message: string, key?: string) {
    super('BadRequest', message)
    this.key = key
  }
}

export function normaliseProperties(input: unknown): FlatProperties {
  if (!isPlainObject(input)) throw new PropertiesError(`properties must be a JSON object, not ${describeType(input)}`)
  const flat = new Map<string, PropertyValueFlat>()
  collect(input, '', 0, flat)
  // fromEntries defines own properties, so even a key like "__proto__" stays data.
  return Object.fromEntries(flat)
}

function collect(node: Record<string, unknown>, prefix: string, depth: number, flat: Map<string, PropertyValueFlat>): void {
  if (depth > PROPERTY_LIMITS.maxNestingDepth) {
    throw new PropertiesError(`property "${prefix}": nested deeper than ${PROPERTY_LIMITS.maxNestingDepth} levels`, prefix)
  }
  for (const key of Object.keys(node)) {
    const value = node[key]
    if (key === TAG_KEY) {
      if (prefix === '') throw new PropertiesError(`"${TAG_KEY}" must be inside an object that names its property`, TAG_KEY)
      if (isPlainObject(value)) throw new PropertiesError(`property "${prefix}": "${TAG_KEY}" must hold a value, not an object`, prefix)
      if (value !== null && value !== undefined) put(flat, prefix, value)
      continue
    }
    const full = prefix === '' ? key : `${prefix}.${key}`
    if (full.length > PROPERTY_LIMITS.maxKeyLength) {
      throw new PropertiesError(`property key "${full.slice(0, 64)}…" is longer than ${PROPERTY_LIMITS.maxKeyLength} characters`, full)
    }
    if (value === null || value === undefined) continue // null means "not set"
    if (isPlainObject(value)) collect(value, full, depth + 1, flat)
    else put(flat, full, value)
  }
}

function put(flat: Map<string, PropertyValueFlat>, key: string, raw: unknown): void {
  const problem = keyProblem(key)
  if (problem !== undefined) throw new PropertiesError(`property key "${key}" is not valid: ${problem}`, key)
  const value = normaliseValue(key, raw)
  const earlier = flat.get(key)
  if (earlier !== undefined) {
    if (!sameValue(earlier, value)) throw new PropertiesError(`property "${key}" is given twice with different values`, key)
    return
  }
  if (flat.size >= PROPERTY_LIMITS.maxProperties) {
    throw new PropertiesError(`more than ${PROPERTY_LIMITS.maxProperties} properties (at "${key}")`, key)
  }
  flat.set(key, value)
}

/** Why a flat key is refused, or undefined when it is fine: dotted names with an optional `[aspect]`. */
function keyProblem(key: string): string | undefined {
  if (key === '') return 'it is empty'
  if (key.length > PROPERTY_LIMITS.maxKeyLength) return `it is longer than ${PROPERTY_LIMITS.maxKeyLength} characters`
  if (/\s/.test(key)) return 'it contains white space'
  let name = key
  const open = key.indexOf('[')
  if (open >= 0) {
    const aspect = key.slice(open + 1, -1)
    if (!key.endsWith(']') || aspect === '' || ![...aspect].every(ch => ch === '.' || isNameChar(ch))) return 'an aspect must be written name[aspect]'
    name = key.slice(0, open)
  }
  for (const segment of name.split('.')) {
    if (segment === '') return 'it has an empty segment (a leading, trailing or doubled dot)'
    const bad = [...segment].find(ch => !isNameChar(ch))
    if (bad !== undefined) return `character ${JSON.stringify(bad)} is not allowed`
  }
  return undefined
}

function normaliseValue(key: string, value: unknown): PropertyValueFlat {
  if (!Array.isArray(value)) return normaliseScalar(key, value, '')
  if (value.length > PROPERTY_LIMITS.maxListLength) {
    throw new PropertiesError(`property "${key}": list has ${value.length} items; the limit is ${PROPERTY_LIMITS.maxListLength}`, key)
  }
  return value.map((item: unknown, i) => normaliseScalar(key, item, `list item ${i} `))
}

function normaliseScalar(key: string, value: unknown, where: string): PropertyScalar {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PropertiesError(`property "${key}": ${where}must be a finite number, not ${value}`, key)
    return value
  }
  if (typeof value === 'string') {
    if (value.length > PROPERTY_LIMITS.maxStringLength) {
      throw new PropertiesError(`property "${key}": ${where}is a string of ${value.length} characters; the limit is ${PROPERTY_LIMITS.maxStringLength}`, key)
    }
    return value
  }
  throw new PropertiesError(
    `property "${key}": ${where}must be a string, a finite number or a boolean${where === '' ? ' (or a list of them)' : ''}, not ${describeType(value)}`,
    key
  )
}

function sameValue(a: PropertyValueFlat, b: PropertyValueFlat): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b
  return a.length === b.length && a.every((item, i) => item === b[i])
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return isPlainObject(value) ? 'an object' : `a ${value.constructor?.name ?? 'non-plain object'}`
  return `a ${typeof value}`
}
