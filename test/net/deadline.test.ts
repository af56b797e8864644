import assert from 'node:assert/strict'
import { createHook } from 'node:async_hooks'
import { once } from 'node:events'
import { deadlineSignal } from '../../net/kernel.ts'

/** Ends after the native immediates (where Node reports destroyed async resources) of this turn have run. */
const nextImmediate = (): Promise<void> => new Promise<void>(resolve => setImmediate(resolve))

const refTimers = (): number => process.getActiveResourcesInfo().filter(resource => resource === 'Timeout').length

describe('deadlineSignal', () => {
  // The Node timers made while `recording`, until each is cleared or has fired. An unref'd
  // timer is not in process.getActiveResourcesInfo(), so the async hooks count them instead.
  const live = new Set<number>()
  let recording = false
  const hook = createHook({
    init(id, type) {
      if (recording && type === 'Timeout') live.add(id)
    },
    destroy(id) {
      live.delete(id)
    }
  })
  const timersOf = <T>(make: () => T): T => {
    recording = true
    try {
      return make()
    } finally {
      recording = false
    }
  }

  beforeEach(() => {
    live.clear()
    hook.enable()
  })
  afterEach(() => {
    hook.disable()
  })

  it('lets its timer go when cleared, long before the deadline', async () => {
    const deadline = timersOf(() => deadlineSignal(60_000))
    assert.equal(live.size, 1, 'the deadline holds one timer')
    deadline.clear()
    await nextImmediate()
    assert.equal(live.size, 0, 'its timer is still there once cleared')
    assert.equal(deadline.signal.aborted, false)
    deadline.clear()
  })

  it('sees the timer AbortSignal.timeout leaves behind, so the check above is not vacuous', async () => {
    timersOf(() => AbortSignal.timeout(60_000))
    await nextImmediate()
    assert.equal(live.size, 1)
  })

  it('never aborts once cleared', async () => {
    const deadline = deadlineSignal(1)
    deadline.clear()
    // A 1 ms timer set after the deadline's runs after it would have: Node runs timers of one delay in the order they were set.
    await new Promise<void>(resolve => setTimeout(resolve, 1))
    assert.equal(deadline.signal.aborted, false)
  })

  it("aborts with AbortSignal.timeout's reason when the work outlasts it", async () => {
    const deadline = deadlineSignal(5)
    await once(deadline.signal, 'abort')
    const reason = deadline.signal.reason as DOMException
    assert.ok(reason instanceof DOMException)
    assert.equal(reason.name, 'TimeoutError')
    deadline.clear()
  })

  it('aborts with the given reason, made only when it fires', async () => {
    let made = 0
    const error = new Error('took too long')
    const deadline = deadlineSignal(5, () => {
      made++
      return error
    })
    assert.equal(made, 0)
    await once(deadline.signal, 'abort')
    assert.equal(deadline.signal.reason, error)
    assert.equal(made, 1)
  })

  it('does not keep the process alive while it waits', () => {
    const before = refTimers()
    const deadline = deadlineSignal(60_000)
    assert.equal(refTimers(), before)
    deadline.clear()
  })
})
