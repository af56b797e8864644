// The JSON result kinds an output file of /out may declare, and the shape
// each must have exactly: numbers where numbers go, short plain names, no
// field the kind does not define (an extra field could carry anything), and
// the rows behind every value at least the policy's minimum.
import type { OutputKind, PolicyReason } from '../model.ts'

export const JSON_KINDS = ['aggregate', 'histogram', 'vector', 'model'] as const
export type JsonKind = (typeof JSON_KINDS)[number]

/** Names of aggregate values: short and plain, so they cannot carry a row. */
const VALUE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/
/** Histogram keys are the algorithm's bins; long ones say too much. */
const MAX_KEY_LENGTH = 128

export interface JsonResult {
  readonly kind: JsonKind
  /** The numbers a vector carries (secure aggregation's input). */
  readonly values?: readonly number[]
  /** The histogram's keys (checked against the dataset's rows). */
  readonly keys?: readonly string[]
}

export function isJsonKind(kind: unknown): kind is JsonKind {
  return typeof kind === 'string' && (JSON_KINDS as readonly string[]).includes(kind)
}

function format(message: string): PolicyReason {
  return { rule: 'output.format', message }
}

function onlyFields(value: Record<string, unknown>, fields: readonly string[], kind: OutputKind): PolicyReason[] {
  const extra = Object.keys(value).filter(key => !fields.includes(key))
  return extra.length === 0 ? [] : [format(`a ${kind} result has only the fields ${fields.join(', ')}; it has ${extra.slice(0, 5).join(', ')} too`)]
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function rowsReasons(kind: OutputKind, rows: unknown, minRows: number): PolicyReason[] {
  if (!isCount(rows)) return [format(`a ${kind} result's rows must be a whole number ≥ 0`)]
  if (rows < minRows) return [{ rule: 'output.minRows', message: `the ${kind} stands on ${rows} rows; the policy asks for at least ${minRows}` }]
  return []
}

function numbers(kind: OutputKind, field: string, value: unknown): { list?: number[]; reasons: PolicyReason[] } {
  if (!Array.isArray(value) || !value.every(item => typeof item === 'number' && Number.isFinite(item))) {
    return { reasons: [format(`a ${kind} result's ${field} must be a list of finite numbers`)] }
  }
  return { list: value as number[], reasons: [] }
}

/** Checks a parsed JSON object of a declared kind; the reasons are empty when it passes. */
export function checkJsonResult(value: Record<string, unknown>, minRows: number): { result?: JsonResult; reasons: PolicyReason[] } {
  const kind = value.kind
  if (!isJsonKind(kind)) return { reasons: [format(`"kind" must be one of ${JSON_KINDS.join(', ')}`)] }
  switch (kind) {
    case 'aggregate': {
      const reasons = onlyFields(value, ['kind', 'rows', 'values'], kind)
      const values = value.values
      if (typeof values !== 'object' || values === null || Array.isArray(values)) {
        reasons.push(format("an aggregate result's values must be an object of name → number"))
      } else {
        for (const [name, number] of Object.entries(values)) {
          if (!VALUE_NAME.test(name)) reasons.push(format('aggregate value names are 1-64 letters, digits, "_", ".", ":" or "-"'))
          if (typeof number !== 'number' || !Number.isFinite(number)) reasons.push(format('every aggregate value must be a finite number'))
          if (reasons.length > 0) break
        }
      }
      reasons.push(...rowsReasons(kind, value.rows, minRows))
      return reasons.length === 0 ? { result: { kind }, reasons } : { reasons }
    }
    case 'histogram': {
      const reasons = onlyFields(value, ['kind', 'cells'], kind)
      const cells = value.cells
      const keys: string[] = []
      if (!Array.isArray(cells)) return { reasons: [...reasons, format("a histogram result's cells must be a list")] }
      for (const cell of cells as unknown[]) {
        if (typeof cell !== 'object' || cell === null || Array.isArray(cell))
          return { reasons: [...reasons, format('every histogram cell is {"key", "count"}')] }
        const { key, count, ...rest } = cell as Record<string, unknown>
        if (Object.keys(rest).length > 0 || typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !isCount(count)) {
          return { reasons: [...reasons, format(`every histogram cell is {"key": text of at most ${MAX_KEY_LENGTH} characters, "count": a whole number ≥ 0}`)] }
        }
        if (count !== 0 && count < minRows) {
          return {
            reasons: [...reasons, { rule: 'output.minRows', message: `a histogram cell counts ${count} rows; the policy asks for 0 or at least ${minRows}` }]
          }
        }
        keys.push(key)
      }
      return reasons.length === 0 ? { result: { kind, keys }, reasons } : { reasons }
    }
    case 'vector': {
      const reasons = onlyFields(value, ['kind', 'rows', 'values'], kind)
      const { list, reasons: bad } = numbers(kind, 'values', value.values)
      reasons.push(...bad, ...rowsReasons(kind, value.rows, minRows))
      return reasons.length === 0 && list !== undefined ? { result: { kind, values: list }, reasons } : { reasons }
    }
    case 'model': {
      const reasons = onlyFields(value, ['kind', 'rows', 'weights'], kind)
      const { reasons: bad } = numbers(kind, 'weights', value.weights)
      reasons.push(...bad, ...rowsReasons(kind, value.rows, minRows))
      return reasons.length === 0 ? { result: { kind }, reasons } : { reasons }
    }
  }
}
