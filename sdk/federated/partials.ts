// The partial results owners release, read by their declared kind (the
// owner's guard checked them already; the requester checks them again, since
// it trusts no provider), and the default way to combine them: a sum.
import { SdkError } from '../errors.ts'
import type { FederatedPartial, FederatedPartialSum } from '../types.ts'

/** A partial is a small JSON document; a larger one is refused unread. */
export const MAX_PARTIAL_BYTES = 4 * 1024 * 1024

export function parsePartial(text: string, from: string): FederatedPartial {
  const bad = (what: string): SdkError => new SdkError('MalformedResponse', `the partial of ${from} ${what}`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw bad('is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('is not a JSON object')
  const partial = value as Record<string, unknown>
  switch (partial.kind) {
    case 'aggregate': {
      const values = partial.values
      if (values === null || typeof values !== 'object' || Array.isArray(values)) throw bad('has no values object')
      for (const [name, number] of Object.entries(values)) if (!isFiniteNumber(number)) throw bad(`has a value ${name.slice(0, 64)} that is not a number`)
      return { kind: 'aggregate', rows: rowsOf(partial, bad), values: values as Record<string, number> }
    }
    case 'vector':
      return { kind: 'vector', rows: rowsOf(partial, bad), values: numbersOf(partial.values, 'values', bad) }
    case 'model':
      return { kind: 'model', rows: rowsOf(partial, bad), weights: numbersOf(partial.weights, 'weights', bad) }
    case 'histogram': {
      if (!Array.isArray(partial.cells)) throw bad('has no cells')
      const cells = partial.cells.map(cell => {
        const { key, count } = (cell ?? {}) as { key?: unknown; count?: unknown }
        if (typeof key !== 'string' || !Number.isSafeInteger(count) || (count as number) < 0) throw bad('has a cell without a key and a count ≥ 0')
        return { key, count: count as number }
      })
      return { kind: 'histogram', cells }
    }
    default:
      throw bad(`is of kind ${JSON.stringify(partial.kind)?.slice(0, 40)}, not aggregate, histogram, vector or model`)
  }
}

/** The partials summed: aggregate values by name, vector values and model weights by position, histogram counts by key. */
export function sumPartials(partials: readonly FederatedPartial[]): FederatedPartialSum {
  const first = partials[0]
  if (first === undefined) throw new SdkError('BadRequest', 'there are no partials to sum')
  for (const partial of partials)
    if (partial.kind !== first.kind) throw new SdkError('MalformedResponse', `the partials are of different kinds (${first.kind}, ${partial.kind})`)
  const rows = partials.reduce((total, partial) => total + ('rows' in partial ? partial.rows : 0), 0)
  switch (first.kind) {
    case 'aggregate': {
      const names = Object.keys(first.values).sort()
      const values = names.map(name =>
        partials.reduce((total, partial) => {
          const value = (partial as typeof first).values[name]
          if (value === undefined) throw new SdkError('MalformedResponse', `a partial lacks the value ${name}`)
          return total + value
        }, 0)
      )
      return { kind: 'aggregate', rows, values, names }
    }
    case 'histogram': {
      const counts = new Map<string, number>()
      for (const partial of partials as Extract<FederatedPartial, { kind: 'histogram' }>[])
        for (const cell of partial.cells) counts.set(cell.key, (counts.get(cell.key) ?? 0) + cell.count)
      const cells = [...counts].map(([key, count]) => ({ key, count }))
      return { kind: 'histogram', rows: cells.reduce((total, cell) => total + cell.count, 0), values: cells.map(cell => cell.count), cells }
    }
    default: {
      const vectors = partials.map(partial => (partial.kind === 'model' ? partial.weights : (partial as Extract<FederatedPartial, { kind: 'vector' }>).values))
      return { kind: first.kind, rows, values: sumVectors(vectors) }
    }
  }
}

export function sumVectors(vectors: readonly (readonly number[])[]): number[] {
  const length = vectors[0]?.length ?? 0
  for (const vector of vectors)
    if (vector.length !== length) throw new SdkError('MalformedResponse', `the partials' vectors differ in length (${length}, ${vector.length})`)
  return Array.from({ length }, (_, i) => vectors.reduce((total, vector) => total + vector[i]!, 0))
}

function rowsOf(partial: Record<string, unknown>, bad: (what: string) => SdkError): number {
  if (!Number.isSafeInteger(partial.rows) || (partial.rows as number) < 0) throw bad('has no row count ≥ 0')
  return partial.rows as number
}

function numbersOf(value: unknown, name: string, bad: (what: string) => SdkError): number[] {
  if (!Array.isArray(value) || !value.every(isFiniteNumber)) throw bad(`has ${name} that are not a list of numbers`)
  return value as number[]
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}
