// Output chunks as an async iterable: pushed as they come, read at the reader's
// pace, ended once (with or without a failure).
export class OutputQueue implements AsyncIterable<string> {
  readonly #chunks: string[] = []
  readonly #waiting: (() => void)[] = []
  #ended = false
  #failure: unknown

  push(chunk: string): void {
    if (this.#ended || chunk === '') return
    this.#chunks.push(chunk)
    this.#wake()
  }

  end(failure?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#failure = failure
    this.#wake()
  }

  /** Everything pushed so far, joined (what run() returns). */
  text(): string {
    return this.#chunks.join('')
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    let at = 0
    for (;;) {
      if (at < this.#chunks.length) {
        yield this.#chunks[at++] as string
        continue
      }
      if (this.#ended) {
        if (this.#failure !== undefined) throw this.#failure
        return
      }
      await new Promise<void>(resolve => {
        this.#waiting.push(resolve)
      })
    }
  }

  #wake(): void {
    for (const resolve of this.#waiting.splice(0)) resolve()
  }
}
