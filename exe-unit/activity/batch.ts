// One ExeScript batch: its commands, the results so far and the event log, with
// long-poll waits for results and a replaying async iterator over events.
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
  #droppedEvents = 0
  #finished = false
  #changed = Promise.withResolvers<void>()

  constructor (id: string, commands: readonly ScriptCommand[]) {
    this.id = id
    this.commands = commands
  }

  get finished (): boolean { return this.#finished }
  get results (): readonly ExeScriptCommandResult[] { return this.#results }
  get droppedEvents (): number { return this.#droppedEvents }

  emit (index: number, kind: RuntimeEventKind): void {
    if ('stdout' in kind || 'stderr' in kind) {
      if (this.#outputEvents >= MAX_OUTPUT_EVENTS) {
        this.#droppedEvents++
        return
      }
      this.#outputEvents++
    }
    this.#events.push({ batchId: this.id, index, timestamp: new Date().toISOString(), kind })
    this.#pulse()
  }

  /** Records a command's result; the batch ends with an error or with its last command. */
  addResult (index: number, outcome: Omit<ExeScriptCommandResult, 'index' | 'eventDate' | 'isBatchFinished'>): void {
    if (this.#finished) return
    const isBatchFinished = outcome.result === 'Error' || index === this.commands.length - 1
    this.#results.push({ index, eventDate: new Date().toISOString(), ...outcome, isBatchFinished })
    if (isBatchFinished) this.#finished = true
    this.#pulse()
  }

  /**
   * Results so far, after waiting up to `timeoutMs` for the result of
   * `commandIndex` (by default the last command) or the end of the batch.
   */
  async waitForResults (commandIndex: number | undefined, timeoutMs: number, signal?: AbortSignal): Promise<ExeScriptCommandResult[]> {
    if (commandIndex !== undefined && (!Number.isInteger(commandIndex) || commandIndex < 0 || commandIndex >= this.commands.length)) {
      throw new ExeUnitError('BadRequest', `commandIndex ${commandIndex} is out of range: the batch has ${this.commands.length} commands`)
    }
    const index = commandIndex ?? this.commands.length - 1
    const done = (): boolean => this.#finished || this.#results.length > index
    if (!done() && timeoutMs > 0) {
      const deadline = Date.now() + timeoutMs
      while (!done() && Date.now() < deadline && signal?.aborted !== true) {
        await this.#nextChange(deadline - Date.now(), signal)
      }
    }
    return [...this.#results]
  }

  /** Every event from the first, then live ones, until the batch finishes or `signal` aborts. */
  async * events (signal?: AbortSignal): AsyncGenerator<RuntimeEvent> {
    let next = 0
    while (signal?.aborted !== true) {
      while (next < this.#events.length) yield this.#events[next++] as RuntimeEvent
      if (this.#finished) return
      await this.#nextChange(Infinity, signal)
    }
  }

  #pulse (): void {
    const changed = this.#changed
    this.#changed = Promise.withResolvers<void>()
    changed.resolve()
  }

  #nextChange (timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const waits: Array<Promise<void>> = [this.#changed.promise]
    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    if (Number.isFinite(timeoutMs)) {
      waits.push(new Promise(resolve => { timer = setTimeout(resolve, Math.max(0, timeoutMs)) }))
    }
    if (signal !== undefined) {
      waits.push(new Promise(resolve => {
        onAbort = () => resolve()
        signal.addEventListener('abort', onAbort, { once: true })
      }))
    }
    return Promise.race(waits).finally(() => {
      clearTimeout(timer)
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    })
  }
}
