// A child process of a benchmark, spoken to over Node's IPC channel: each
// request carries an id and is answered with a result or an error; anything
// else the child sends is an event.
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

export class IpcWorker<Request, Event = never> {
  readonly child: ChildProcess
  readonly ready: Promise<void>
  #next = 0
  readonly #waiting = new Map<number, { resolve: (value: any) => void; reject: (err: Error) => void }>()

  constructor(file: string, args: string[] = [], onEvent: (event: Event) => void = () => {}) {
    this.child = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject)
      this.child.once('message', () => {
        resolve()
      })
    })
    this.child.on('message', (message: any) => {
      if (message?.ready === true) return
      if (typeof message?.id !== 'number') return onEvent(message as Event)
      const waiting = this.#waiting.get(message.id)
      this.#waiting.delete(message.id)
      if (message.error !== undefined) waiting?.reject(new Error(message.error))
      else waiting?.resolve(message.result)
    })
    this.child.on('exit', code => {
      for (const waiting of this.#waiting.values()) waiting.reject(new Error(`a worker exited (${code})`))
      this.#waiting.clear()
    })
  }

  async call<T>(request: Request): Promise<T> {
    const id = this.#next++
    return await new Promise<T>((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('the worker is gone'))
        return
      }
      this.#waiting.set(id, { resolve, reject })
      this.child.send({ id, request })
    })
  }

  /** Asks it to stop (its own cleanup), gives it a moment to exit by itself (a profiled one writes its profile then), then makes sure it is gone. */
  async stop(request: Request): Promise<void> {
    await this.call(request).catch(() => {})
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>(resolve => this.child.once('exit', () => resolve()))
      this.child.disconnect()
      await Promise.race([exited, new Promise<void>(resolve => setTimeout(resolve, 5_000).unref())])
    }
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill()
  }
}

/** The child's side: answers each request with `handle`, then says it is ready. */
export function serveIpc<Request>(handle: (request: Request) => Promise<unknown>): void {
  process.on('message', (message: { id: number; request: Request }) => {
    handle(message.request).then(
      result => process.send?.({ id: message.id, result }),
      (err: unknown) => process.send?.({ id: message.id, error: String((err as Error)?.stack ?? err) })
    )
  })
  process.send?.({ ready: true })
}
