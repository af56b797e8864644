// Keeps WASI worker threads started ahead of need, so that a run does not wait
// for a thread to boot (tens of milliseconds). There is always a spare one
// beyond those busy, and a worker given back is kept, up to a cap, until it has
// been idle for a while: so as many runs at once as came lately find a worker
// each, rather than a worker being ended after each run and another booted
// for the next. A worker serves runs one at a time and is retired after a
// number of runs, or at once when a run is killed.
import { Worker } from 'node:worker_threads'

// The worker is a sibling module: .ts when run from source, .js once built.
const WORKER_URL = new URL(`./wasi-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

export interface WorkerPoolOptions {
  /** Spare workers kept started beyond those busy. */
  idle: number
  /** Idle workers kept at most; beyond `idle`, each is ended after `idleTimeoutMs` unused. */
  maxIdle: number
  idleTimeoutMs: number
  /** JS heap of each worker (module memory is capped separately). */
  heapMb: number
  /** Runs served by one worker before it is replaced (frees what runs leave behind). */
  runsPerWorker: number
}

export class PooledWorker {
  readonly worker: Worker
  runs = 0
  /** When it was last given back (performance.now()). */
  idleSince = 0
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
  #sweep: NodeJS.Timeout | undefined
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

  /** Gives a worker back after a clean run; a killed or worn-out one is ended, and so is one beyond the cap. */
  release(pooled: PooledWorker, clean: boolean): void {
    this.#busy.delete(pooled)
    pooled.runs++
    if (!clean || this.#closed || !pooled.usable || pooled.runs >= this.#options.runsPerWorker || this.#idle.length >= this.#options.maxIdle) {
      void pooled.worker.terminate()
      this.warm()
      return
    }
    pooled.worker.unref()
    pooled.idleSince = performance.now()
    // The most recently used first: the ones at the end are the ones idle longest.
    this.#idle.unshift(pooled)
    this.#scheduleSweep()
  }

  /** Workers started and not busy now. */
  get idleCount(): number {
    return this.#idle.length
  }

  /** Ends the workers beyond the spares that have been idle for idleTimeoutMs. */
  #scheduleSweep(): void {
    if (this.#sweep !== undefined || this.#closed) return
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined
      const now = performance.now()
      while (this.#idle.length > this.#options.idle) {
        const oldest = this.#idle.at(-1)
        if (oldest === undefined || now - oldest.idleSince < this.#options.idleTimeoutMs) break
        this.#idle.pop()
        void oldest.worker.terminate()
      }
      if (this.#idle.length > this.#options.idle) this.#scheduleSweep()
    }, this.#options.idleTimeoutMs)
    this.#sweep.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#sweep !== undefined) clearTimeout(this.#sweep)
    this.#sweep = undefined
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
