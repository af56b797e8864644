// A streaming RFC 4180 reader: text goes in chunk by chunk, records come out
// one at a time with the line they start on, so a file of any length is read
// in constant memory. Quoted fields may hold commas, quotes ("") and line
// breaks; a quote inside an unquoted field, text after a closing quote, an
// unclosed quote or a bare carriage return is refused with its line number.
// Blank lines carry no record and are skipped.
import { CodedError } from '../../net/kernel.ts'

/** The longest record read (a malformed file must not make one field the size of the file). */
export const MAX_RECORD_CHARS = 1 << 20

export type RecordSink = (fields: string[], line: number) => void

const QUOTE = 0x22
const COMMA = 0x2c
const LF = 0x0a
const CR = 0x0d
const STATE = { fieldStart: 0, unquoted: 1, quoted: 2, quoteInQuoted: 3, carriageReturn: 4 } as const
type State = (typeof STATE)[keyof typeof STATE]

export class CsvParser {
  readonly #onRecord: RecordSink
  readonly #what: string
  #state: State = STATE.fieldStart
  #fields: string[] = []
  #field = ''
  #recordChars = 0
  /** Whether the field being read opened with a quote (so `""` is a field, not a blank line). */
  #fieldQuoted = false
  /** The line being read (1-based), and the one the current record started on. */
  #line = 1
  #recordLine = 1
  #quoteLine = 1
  #started = false

  constructor(onRecord: RecordSink, what = 'the CSV file') {
    this.#onRecord = onRecord
    this.#what = what
  }

  push(text: string): void {
    let i = 0
    if (!this.#started && text.length > 0) {
      this.#started = true
      if (text.charCodeAt(0) === 0xfeff) i = 1
    }
    const n = text.length
    // Runs of plain characters are taken as slices; only the characters that matter are looked at one by one.
    while (i < n) {
      switch (this.#state) {
        case STATE.fieldStart: {
          const ch = text.charCodeAt(i)
          if (ch === QUOTE) {
            this.#state = STATE.quoted
            this.#fieldQuoted = true
            this.#quoteLine = this.#line
            i++
          } else if (ch === COMMA) {
            this.#endField()
            i++
          } else if (ch === LF) {
            this.#endRecord()
            i++
          } else if (ch === CR) {
            this.#state = STATE.carriageReturn
            i++
          } else this.#state = STATE.unquoted
          break
        }
        case STATE.unquoted: {
          let j = i
          while (j < n) {
            const ch = text.charCodeAt(j)
            if (ch === COMMA || ch === LF || ch === CR || ch === QUOTE) break
            j++
          }
          this.#append(text, i, j)
          i = j
          if (j === n) break
          const ch = text.charCodeAt(j)
          if (ch === QUOTE) this.#fail('a quote inside an unquoted field (quote the whole field and double the quote)')
          if (ch === COMMA) {
            this.#endField()
            this.#state = STATE.fieldStart
          } else if (ch === LF) this.#endRecord()
          else this.#state = STATE.carriageReturn
          i++
          break
        }
        case STATE.quoted: {
          let j = i
          while (j < n) {
            const ch = text.charCodeAt(j)
            if (ch === QUOTE) break
            if (ch === LF) this.#line++
            j++
          }
          this.#append(text, i, j)
          i = j
          if (j < n) {
            this.#state = STATE.quoteInQuoted
            i++
          }
          break
        }
        case STATE.quoteInQuoted: {
          const ch = text.charCodeAt(i)
          if (ch === QUOTE) {
            this.#append('"', 0, 1)
            this.#state = STATE.quoted
          } else if (ch === COMMA) {
            this.#endField()
            this.#state = STATE.fieldStart
          } else if (ch === LF) this.#endRecord()
          else if (ch === CR) this.#state = STATE.carriageReturn
          else this.#fail('text after the closing quote of a field')
          i++
          break
        }
        case STATE.carriageReturn:
          if (text.charCodeAt(i) !== LF) this.#fail('a carriage return not followed by a line feed')
          this.#endRecord()
          i++
          break
      }
    }
  }

  /** The end of the text: the last record (without a final line break) is given out. */
  end(): void {
    if (this.#state === STATE.quoted) this.#fail(`a quoted field opened on line ${this.#quoteLine} is not closed`)
    this.#endRecord()
  }

  /** The line the reader is at (for errors found outside the parser, e.g. a ragged record). */
  get line(): number {
    return this.#line
  }

  #append(text: string, from: number, to: number): void {
    if (to === from) return
    this.#recordChars += to - from
    if (this.#recordChars > MAX_RECORD_CHARS) this.#fail(`a record longer than ${MAX_RECORD_CHARS} characters`)
    this.#field += text.slice(from, to)
  }

  #endField(): void {
    this.#fields.push(this.#field)
    this.#field = ''
    this.#fieldQuoted = false
  }

  #endRecord(): void {
    const blank = this.#fields.length === 0 && this.#field === '' && !this.#fieldQuoted
    if (!blank) {
      this.#endField()
      this.#onRecord(this.#fields, this.#recordLine)
    }
    this.#fields = []
    this.#field = ''
    this.#fieldQuoted = false
    this.#recordChars = 0
    this.#state = STATE.fieldStart
    this.#line++
    this.#recordLine = this.#line
  }

  #fail(what: string): never {
    throw new CodedError('BadRequest', `${this.#what}, line ${this.#line}: ${what}`)
  }
}
