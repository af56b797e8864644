// Keeps a few WASI worker threads started ahead of need, so that a run does not
// wait for a thread to boot. A worker serves runs one at a time and is
// retired after a number of runs, or at once when a run is killed.
import { Worker } from 'node:worker_threads'

// The worker is a sibling module: .ts when run from source, .js once built.
const WORKER_URL = new URL(`./wasi-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

export interface WorkerPoolOptions {
  /** Workers kept started and idle (up to twice as many are kept after runs). */
  idle: number
  /** JS heap of each worker (module memory is capped separately). */
  heapMb: number
  /** Runs served by one worker before it is replaced (frees what runs leave behind). */
  runsPerWorker: number
}

export class PooledWorker {
  readonly worker: Worker
  runs = 0
  #broken = false

  constructor(worker: Worker) {
    this.worker = worker
    worker.once('error', () => {
      this.#broken = true
    })
    worker.once('exit', () => {
      this.#broken = true
    })
  }

  get usable(): boolean {
    return !this.#broken
  }
}

export class WasiWorkerPool {
  readonly #options: WorkerPoolOptions
  readonly #idle: PooledWorker[] = []
  readonly #busy = new Set<PooledWorker>()
  #closed = false

  constructor(options: WorkerPoolOptions) {
    this.#options = options
  }

  /** Starts the idle workers; later runs find one ready. */
  warm(): void {
    while (!this.#closed && this.#idle.length < this.#options.idle) this.#idle.push(this.#spawn())
  }

  acquire(): PooledWorker {
    if (this.#closed) throw new Error('the WASI worker pool is closed')
    let pooled = this.#idle.shift()
    while (pooled !== undefined && !pooled.usable) {
      void pooled.worker.terminate()
      pooled = this.#idle.shift()
    }
    pooled ??= this.#spawn()
    pooled.worker.ref()
    this.#busy.add(pooled)
    setImmediate(() => this.warm())
    return pooled
  }

  /** Gives a worker back after a clean run; a killed or worn-out one is ended. */
  release(pooled: PooledWorker, clean: boolean): void {
    this.#busy.delete(pooled)
    pooled.runs++
    if (!clean || this.#closed || !pooled.usable || pooled.runs >= this.#options.runsPerWorker || this.#idle.length >= 2 * this.#options.idle) {
      void pooled.worker.terminate()
      this.warm()
      return
    }
    pooled.worker.unref()
    this.#idle.push(pooled)
  }

  async close(): Promise<void> {
    this.#closed = true
    const all = [...this.#idle, ...this.#busy]
    this.#idle.length = 0
    this.#busy.clear()
    await Promise.all(all.map(async pooled => await pooled.worker.terminate()))
  }

  #spawn(): PooledWorker {
    const worker = new Worker(WORKER_URL, {
      // node:wasi prints an experimental-feature warning on first use.
      execArgv: ['--no-warnings'],
      resourceLimits: { maxOldGenerationSizeMb: this.#options.heapMb, maxYoungGenerationSizeMb: 16 },
      stdout: true,
      stderr: true
    })
    worker.unref()
    return new PooledWorker(worker)
  }
}
