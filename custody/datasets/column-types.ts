// A column's type, inferred over every value it holds: integer when every
// value is a whole number, real when every value is a number, boolean when
// every value is true or false, text otherwise. Empty values (SQL NULL, an
// empty CSV field) say nothing; a column of nothing but empty values is text.
import type { ColumnType, DatasetColumn } from '../model.ts'

const INTEGER = /^[+-]?[0-9]+$/
const REAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/
const BOOLEAN = /^(true|false|TRUE|FALSE|True|False)$/

/** Whole-number, number and boolean candidacy of one column, narrowed value by value. */
class ColumnGuess {
  integer = true
  real = true
  boolean = true
  seen = false

  text(value: string): void {
    if (value === '') return
    this.seen = true
    if (this.integer && !INTEGER.test(value)) this.integer = false
    if (this.real && !(this.integer || REAL.test(value))) this.real = false
    if (this.boolean && !BOOLEAN.test(value)) this.boolean = false
  }

  /** A value as node:sqlite gives it (integers as bigint, reals as number). */
  sql(value: unknown): void {
    if (value === null || value === undefined) return
    this.seen = true
    this.boolean = false
    if (typeof value === 'bigint') return
    this.integer = false
    if (typeof value !== 'number') this.real = false
  }

  type(): ColumnType {
    if (!this.seen) return 'text'
    if (this.integer) return 'integer'
    if (this.real) return 'real'
    if (this.boolean) return 'boolean'
    return 'text'
  }
}

export class ColumnTypes {
  readonly #names: readonly string[]
  readonly #guesses: ColumnGuess[]

  constructor(names: readonly string[]) {
    this.#names = names
    this.#guesses = names.map(() => new ColumnGuess())
  }

  /** One CSV record's fields (as many as there are columns). */
  texts(fields: readonly string[]): void {
    for (let i = 0; i < this.#guesses.length; i++) (this.#guesses[i] as ColumnGuess).text(fields[i] as string)
  }

  /** One SQL row's values. */
  values(values: readonly unknown[]): void {
    for (let i = 0; i < this.#guesses.length; i++) (this.#guesses[i] as ColumnGuess).sql(values[i])
  }

  columns(): DatasetColumn[] {
    return this.#names.map((name, i) => ({ name, type: (this.#guesses[i] as ColumnGuess).type() }))
  }
}
