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
    let start = 0
    if (!this.#started && text.length > 0) {
      this.#started = true
      if (text.charCodeAt(0) === 0xfeff) start = 1
    }
    for (let i = start; i < text.length; i++) {
      const ch = text.charCodeAt(i)
      switch (this.#state) {
        case STATE.fieldStart:
          if (ch === 0x22) {
            this.#state = STATE.quoted
            this.#fieldQuoted = true
            this.#quoteLine = this.#line
          } else if (ch === 0x2c) this.#endField()
          else if (ch === 0x0a) this.#endRecord()
          else if (ch === 0x0d) this.#state = STATE.carriageReturn
          else {
            this.#append(text[i] as string)
            this.#state = STATE.unquoted
          }
          break
        case STATE.unquoted:
          if (ch === 0x2c) {
            this.#endField()
            this.#state = STATE.fieldStart
          } else if (ch === 0x0a) this.#endRecord()
          else if (ch === 0x0d) this.#state = STATE.carriageReturn
          else if (ch === 0x22) this.#fail('a quote inside an unquoted field (quote the whole field and double the quote)')
          else this.#append(text[i] as string)
          break
        case STATE.quoted:
          if (ch === 0x22) this.#state = STATE.quoteInQuoted
          else {
            if (ch === 0x0a) this.#line++
            this.#append(text[i] as string)
          }
          break
        case STATE.quoteInQuoted:
          if (ch === 0x22) {
            this.#append('"')
            this.#state = STATE.quoted
          } else if (ch === 0x2c) {
            this.#endField()
            this.#state = STATE.fieldStart
          } else if (ch === 0x0a) this.#endRecord()
          else if (ch === 0x0d) this.#state = STATE.carriageReturn
          else this.#fail('text after the closing quote of a field')
          break
        case STATE.carriageReturn:
          if (ch === 0x0a) this.#endRecord()
          else this.#fail('a carriage return not followed by a line feed')
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

  #append(ch: string): void {
    if (++this.#recordChars > MAX_RECORD_CHARS) this.#fail(`a record longer than ${MAX_RECORD_CHARS} characters`)
    this.#field += ch
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
