import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { onInterrupt } from '../../sdk/signals.ts'
import { SdkError } from '../../sdk/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { settle } from '../helpers/scripted-rentals.ts'

class SignalledProcess extends EventEmitter {
  readonly exits: number[] = []
  exit(code: number): void {
    this.exits.push(code)
  }
}

/** A client whose close calls are recorded and end when the test says. */
class HeldClient {
  readonly calls: ({ now?: boolean } | undefined)[] = []
  readonly #ends: (() => void)[] = []
  close(options?: { now?: boolean }): Promise<void> {
    this.calls.push(options)
    return new Promise(resolve => this.#ends.push(resolve))
  }
  endClose(index: number): void {
    this.#ends[index]?.()
  }
}

describe('sdk onInterrupt', () => {
  it('the first SIGINT aborts the signal, closes gracefully within the bound, removes its listeners and exits 130', async () => {
    const proc = new SignalledProcess()
    const client = new HeldClient()
    const handle = onInterrupt(client, { boundMs: 20_000 }, { process: proc, clock: new ManualClock() })
    assert.equal(handle.signal.aborted, false)
    proc.emit('SIGINT')
    assert.equal(handle.signal.aborted, true)
    assert.deepEqual(client.calls, [undefined])
    assert.deepEqual(proc.exits, [], 'no exit before the close ends')
    client.endClose(0)
    assert.deepEqual(await handle.closed, { signal: 'SIGINT', how: 'graceful' })
    assert.deepEqual(proc.exits, [130])
    assert.equal(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM'), 0)
  })

  it('a close that overruns the bound still exits at the bound', async () => {
    const clock = new ManualClock()
    const proc = new SignalledProcess()
    const handle = onInterrupt(new HeldClient(), { boundMs: 10_000 }, { process: proc, clock })
    proc.emit('SIGTERM')
    await settle()
    assert.deepEqual(clock.pending(), [clock.now() + 10_000])
    clock.advance(10_000)
    assert.deepEqual(await handle.closed, { signal: 'SIGTERM', how: 'overran' })
    assert.deepEqual(proc.exits, [143])
  })

  it('a second signal closes now, without waiting for invoices, and exits', async () => {
    const proc = new SignalledProcess()
    const client = new HeldClient()
    const handle = onInterrupt(client, { boundMs: 60_000 }, { process: proc, clock: new ManualClock() })
    proc.emit('SIGINT')
    proc.emit('SIGINT')
    assert.deepEqual(client.calls, [undefined, { now: true }])
    client.endClose(1)
    assert.deepEqual(await handle.closed, { signal: 'SIGINT', how: 'now' })
    assert.deepEqual(proc.exits, [130])
    client.endClose(0)
    await settle()
    assert.deepEqual(proc.exits, [130], 'the graceful close ending later changes nothing')
  })

  it('with exit false it leaves the process running; dispose removes the listeners', async () => {
    const proc = new SignalledProcess()
    const client = new HeldClient()
    const handle = onInterrupt(client, { exit: false }, { process: proc, clock: new ManualClock() })
    assert.equal(proc.listenerCount('SIGINT'), 1)
    proc.emit('SIGINT')
    client.endClose(0)
    await handle.closed
    assert.deepEqual(proc.exits, [])
    const other = onInterrupt(client, {}, { process: proc })
    other.dispose()
    assert.equal(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM'), 0)
  })

  it('refuses a bound that is not a positive number', () => {
    assert.throws(
      () => onInterrupt(new HeldClient(), { boundMs: 0 }, { process: new SignalledProcess() }),
      (err: unknown) => err instanceof SdkError && err.code === 'BadRequest'
    )
  })
})
