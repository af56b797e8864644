// A Server-Sent Events reader for tests, parsing the stream as the HTML
// standard's EventSource does: lines, `event:`/`data:`/`id:` fields, comments
// (`:`), and a blank line that dispatches the event.
export interface StreamedEvent {
  event: string
  data: string
}

export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #decoder = new TextDecoder()
  readonly #ready: StreamedEvent[] = []
  #buffer = ''
  #event = ''
  #data: string[] = []
  #done = false

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader()
  }

  /** The next event, or null once the server has ended the stream. */
  async next(): Promise<StreamedEvent | null> {
    while (this.#ready.length === 0) {
      if (this.#done) return null
      const { value, done } = await this.#reader.read()
      if (done) {
        this.#done = true
        continue
      }
      this.#buffer += this.#decoder.decode(value, { stream: true })
      this.#parseLines()
    }
    return this.#ready.shift() ?? null
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel()
  }

  #parseLines(): void {
    for (;;) {
      const end = this.#buffer.search(/\r\n|\r|\n/)
      if (end < 0) return
      const line = this.#buffer.slice(0, end)
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith('\r\n', end) ? 2 : 1))
      this.#takeLine(line)
    }
  }

  #takeLine(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.#ready.push({ event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n') })
      this.#event = ''
      this.#data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.#event = value
    else if (field === 'data') this.#data.push(value)
  }
}
