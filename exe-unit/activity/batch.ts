// One ExeScript batch: its commands, the results so far and the event log, with
// long-poll waits for results and an async iterator over events from a cursor.
import { ChangeSignal } from '../../net/index.ts'
import { ExeUnitError } from '../errors.ts'
import type { ScriptCommand } from '../exescript/types.ts'
import type { ExeScriptCommandResult, RuntimeEvent, RuntimeEventKind } from './types.ts'

/** Output events kept per batch; started/finished events are always kept. */
const MAX_OUTPUT_EVENTS = 50_000

export class Batch {
  readonly id: string
  readonly commands: readonly ScriptCommand[]
  readonly #results: ExeScriptCommandResult[] = []
  readonly #events: RuntimeEvent[] = []
  #outputEvents = 0
  #finished = false
  readonly #changed = new ChangeSignal()

  constructor(id: string, commands: readonly ScriptCommand[]) {
    this.id = id
    this.commands = commands
  }

  get finished(): boolean {
    return this.#finished
  }
  get results(): readonly ExeScriptCommandResult[] {
    return this.#results
  }

  emit(index: number, kind: RuntimeEventKind): void {
    if ('stdout' in kind || 'stderr' in kind) {
      if (this.#outputEvents >= MAX_OUTPUT_EVENTS) return
      this.#outputEvents++
    }
    this.#events.push({ batchId: this.id, index, timestamp: new Date().toISOString(), kind })
    this.#changed.notify()
  }

  /** Records a command's result; the batch ends with an error or with its last command. */
  addResult(index: number, outcome: Omit<ExeScriptCommandResult, 'index' | 'eventDate' | 'isBatchFinished'>): void {
    if (this.#finished) return
    const isBatchFinished = outcome.result === 'Error' || index === this.commands.length - 1
    this.#results.push({ index, eventDate: new Date().toISOString(), ...outcome, isBatchFinished })
    if (isBatchFinished) this.#finished = true
    this.#changed.notify()
  }

  /**
   * Results so far, after waiting up to `timeoutMs` for the result of
   * `commandIndex` (by default the last command) or the end of the batch.
   */
  async waitForResults(commandIndex: number | undefined, timeoutMs: number, signal?: AbortSignal): Promise<ExeScriptCommandResult[]> {
    if (commandIndex !== undefined && (!Number.isInteger(commandIndex) || commandIndex < 0 || commandIndex >= this.commands.length)) {
      throw new ExeUnitError('BadRequest', `commandIndex ${commandIndex} is out of range: the batch has ${this.commands.length} commands`)
    }
    const index = commandIndex ?? this.commands.length - 1
    const done = (): boolean => this.#finished || this.#results.length > index
    if (!done() && timeoutMs > 0) {
      const deadline = Date.now() + timeoutMs
      while (!done() && Date.now() < deadline && signal?.aborted !== true) {
        await this.#changed.wait(deadline - Date.now(), signal)
      }
    }
    return [...this.#results]
  }

  /**
   * Events from position `from` on (0, the first, by default), then live ones,
   * until the batch finishes or `signal` aborts.
   */
  async *events(options: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<RuntimeEvent> {
    const { signal } = options
    let next = options.from ?? 0
    while (signal?.aborted !== true) {
      while (next < this.#events.length) yield this.#events[next++] as RuntimeEvent
      if (this.#finished) return
      await this.#changed.wait(Infinity, signal)
    }
  }
}
