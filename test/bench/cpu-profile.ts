// A CPU profile of this process over a window a benchmark chooses (Node's
// --cpu-prof covers the whole run, start-up included), written as a
// .cpuprofile that Chrome's DevTools open.
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

export class CpuProfile {
  #session: Session | undefined

  async start(): Promise<void> {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
    this.#session = session
  }

  async stopInto(file: string): Promise<void> {
    const session = this.#session
    if (session === undefined) throw new Error('no profile started')
    this.#session = undefined
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    await writeFile(file, JSON.stringify(profile))
  }
}
