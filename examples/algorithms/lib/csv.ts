// A streaming CSV reader over a WASI file descriptor: RFC 4180 fields (quotes,
// doubled quotes, CRLF or LF), a header row naming the columns, and numbers
// read straight from the bytes, so a row allocates nothing.
import { fail, readSome } from "./wasi"

const CHUNK: usize = 65536
const COMMA = 44
const QUOTE = 34
const LF = 10
const CR = 13
const END = -1

export class CsvReader {
  private fd: u32
  private buffer: usize = heap.alloc(CHUNK)
  private position: usize = 0
  private filled: usize = 0
  private pushedBack: i32 = -2
  private cells: usize = heap.alloc(1024)
  private capacity: usize = 1024
  private used: usize = 0
  private starts: Array<u32> = new Array<u32>()
  private ends: Array<u32> = new Array<u32>()
  /** Cells in the row just read. */
  width: i32 = 0
  /** Data rows read so far (the header not counted). */
  rows: i32 = 0
  private headerWidth: i32 = 0
  private header: Array<string> = new Array<string>()
  /** Whether the last number() read an empty cell. */
  missing: bool = false

  constructor(fd: u32) {
    this.fd = fd
    if (!this.read()) fail("the data has no header row", 2)
    for (let i = 0; i < this.width; i++) this.header.push(this.text(i))
    this.headerWidth = this.width
  }

  /** The index of the header's column `name`, or fails naming it. */
  column(name: string): i32 {
    for (let i = 0; i < this.header.length; i++) if (this.header[i] == name) return i
    fail("the data has no column " + name + " (columns: " + this.header.join(",") + ")", 2)
    return -1
  }

  /** Reads the next data row; false at the end. A row of another width than the header fails. */
  row(): bool {
    if (!this.read()) return false
    this.rows++
    if (this.width != this.headerWidth) {
      fail("row " + this.rows.toString() + " has " + this.width.toString() + " cells; the header has " + this.headerWidth.toString(), 2)
    }
    return true
  }

  text(i: i32): string {
    const start = this.starts[i]
    return String.UTF8.decodeUnsafe(this.cells + start, this.ends[i] - start)
  }

  /** The cell as a number (true/false as 1/0); NaN with `missing` for an empty cell; fails on anything else. */
  number(i: i32): f64 {
    const start = this.cells + this.starts[i]
    const end = this.cells + this.ends[i]
    const value = parseNumber(start, end)
    this.missing = parsedEmpty
    if (!parsedOk) fail("row " + this.rows.toString() + ": " + this.text(i) + " is not a number", 2)
    return value
  }

  private next(): i32 {
    if (this.pushedBack != -2) {
      const c = this.pushedBack
      this.pushedBack = -2
      return c
    }
    if (this.position == this.filled) {
      this.filled = readSome(this.fd, this.buffer, CHUNK)
      this.position = 0
      if (this.filled == 0) return END
    }
    return <i32>load<u8>(this.buffer + this.position++)
  }

  private push(c: i32): void {
    if (this.used == this.capacity) {
      const larger = heap.alloc(this.capacity * 2)
      memory.copy(larger, this.cells, this.used)
      heap.free(this.cells)
      this.cells = larger
      this.capacity *= 2
    }
    store<u8>(this.cells + this.used++, <u8>c)
  }

  private read(): bool {
    this.width = 0
    this.used = 0
    let c = this.next()
    while (c == LF || c == CR) c = this.next()
    if (c == END) return false
    for (;;) {
      const start = <u32>this.used
      if (c == QUOTE) {
        for (;;) {
          c = this.next()
          if (c == END) fail("row " + (this.rows + 1).toString() + ": a quoted cell is not closed", 2)
          if (c == QUOTE) {
            c = this.next()
            if (c != QUOTE) break
          }
          this.push(c)
        }
        if (c != COMMA && c != LF && c != CR && c != END) fail("row " + (this.rows + 1).toString() + ": text after a closing quote", 2)
      } else {
        while (c != COMMA && c != LF && c != CR && c != END) {
          this.push(c)
          c = this.next()
        }
      }
      this.cell(start, <u32>this.used)
      if (c == COMMA) {
        c = this.next()
        continue
      }
      if (c == CR) {
        c = this.next()
        if (c != LF) this.pushedBack = c
      }
      return true
    }
  }

  private cell(start: u32, end: u32): void {
    if (this.width < this.starts.length) {
      this.starts[this.width] = start
      this.ends[this.width] = end
    } else {
      this.starts.push(start)
      this.ends.push(end)
    }
    this.width++
  }
}

let parsedOk = true
let parsedEmpty = false

/** Reads a number from the bytes [start, end) (spaces around it allowed); sets parsedOk and parsedEmpty. */
export function parseNumber(start: usize, end: usize): f64 {
  parsedOk = true
  parsedEmpty = false
  while (start < end && load<u8>(start) == 32) start++
  while (end > start && load<u8>(end - 1) == 32) end--
  if (start == end) {
    parsedEmpty = true
    return NaN
  }
  if (matches(start, end, "true")) return 1
  if (matches(start, end, "false")) return 0
  let at = start
  let negative = false
  const first = load<u8>(at)
  if (first == 45 || first == 43) {
    negative = first == 45
    at++
  }
  let mantissa: u64 = 0
  let exponent: i32 = 0
  let digits = 0
  while (at < end && isDigit(load<u8>(at))) {
    if (mantissa < 100000000000000000) mantissa = mantissa * 10 + <u64>(load<u8>(at) - 48)
    else exponent++
    digits++
    at++
  }
  if (at < end && load<u8>(at) == 46) {
    at++
    while (at < end && isDigit(load<u8>(at))) {
      if (mantissa < 100000000000000000) {
        mantissa = mantissa * 10 + <u64>(load<u8>(at) - 48)
        exponent--
      }
      digits++
      at++
    }
  }
  if (digits == 0) {
    parsedOk = false
    return NaN
  }
  if (at < end && (load<u8>(at) == 101 || load<u8>(at) == 69)) {
    at++
    let exponentNegative = false
    if (at < end && (load<u8>(at) == 45 || load<u8>(at) == 43)) {
      exponentNegative = load<u8>(at) == 45
      at++
    }
    let written: i32 = 0
    let exponentDigits = 0
    while (at < end && isDigit(load<u8>(at))) {
      if (written < 10000) written = written * 10 + <i32>(load<u8>(at) - 48)
      exponentDigits++
      at++
    }
    if (exponentDigits == 0) {
      parsedOk = false
      return NaN
    }
    exponent += exponentNegative ? -written : written
  }
  if (at != end) {
    parsedOk = false
    return NaN
  }
  // Exact when the mantissa and the power of ten are both exact doubles: one rounding.
  let value = <f64>mantissa
  if (exponent != 0) {
    if (mantissa <= 9007199254740992 && exponent >= -22 && exponent <= 22) {
      value = exponent > 0 ? value * powerOfTen(exponent) : value / powerOfTen(-exponent)
    } else {
      value = value * Math.pow(10, <f64>exponent)
    }
  }
  return negative ? -value : value
}

/** Reads a number from a string (an argument); fails naming `what` unless it is one. */
export function numberArgument(text: string, what: string): f64 {
  const bytes = String.UTF8.encode(text)
  const start = changetype<usize>(bytes)
  const value = parseNumber(start, start + <usize>bytes.byteLength)
  if (!parsedOk || parsedEmpty || !isFinite(value)) fail(what + " must be a number, not " + text, 2)
  return value
}

function powerOfTen(k: i32): f64 {
  let value: f64 = 1
  for (let i = 0; i < k; i++) value *= 10
  return value
}

function isDigit(c: u8): bool {
  return c >= 48 && c <= 57
}

function matches(start: usize, end: usize, word: string): bool {
  if (<i32>(end - start) != word.length) return false
  for (let i = 0; i < word.length; i++) if (<i32>load<u8>(start + <usize>i) != word.charCodeAt(i)) return false
  return true
}
