// Listens to the engine's "oom" events for this node's containers, so that a
// command killed by the kernel's OOM killer is reported as out of memory.
import type Docker from 'dockerode'
import { nodeFilter } from './labels.ts'

export class OomWatch {
  readonly #counts = new Map<string, number>()
  readonly #waiters = new Set<() => void>()
  #stream: NodeJS.ReadableStream | undefined

  async start(docker: Docker, nodeId: string): Promise<void> {
    const stream = await docker.getEvents({ filters: { type: ['container'], event: ['oom'], ...nodeFilter(nodeId) } })
    this.#stream = stream
    let buffered = ''
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        try {
          const event = JSON.parse(line) as { id?: string; Actor?: { ID?: string } }
          const id = event.Actor?.ID ?? event.id
          if (id !== undefined) this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1)
        } catch {}
      }
      for (const wake of [...this.#waiters]) wake()
    })
    stream.on('error', () => {})
  }

  count(containerId: string): number {
    return this.#counts.get(containerId) ?? 0
  }

  /** Whether an OOM event beyond `before` arrives for the container within `ms`. */
  async happened(containerId: string, before: number, ms: number): Promise<boolean> {
    if (this.count(containerId) > before) return true
    return await new Promise<boolean>(resolve => {
      const done = (): void => {
        if (this.count(containerId) <= before && !timedOut) return
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve(this.count(containerId) > before)
      }
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        done()
      }, ms)
      this.#waiters.add(done)
    })
  }

  forget(containerId: string): void {
    this.#counts.delete(containerId)
  }

  stop(): void {
    const stream = this.#stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined
    stream?.destroy?.()
    this.#stream = undefined
  }
}
