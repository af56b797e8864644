import assert from 'node:assert/strict'
import { systemClock } from '../../net/index.ts'

describe('the system clock', () => {
  it('holds a timer longer than Node can (about 24.8 days) instead of firing it at once', async () => {
    let fired = false
    const long = systemClock.setTimeout(() => {
      fired = true
    }, 30 * 86_400_000)
    // Node fires an over-long timer after 1 ms: a 1 ms timer set after it then runs after it. Here it must not have run.
    await new Promise<void>(resolve => setTimeout(resolve, 1))
    await new Promise<void>(resolve => setImmediate(resolve))
    systemClock.clearTimeout(long)
    assert.equal(fired, false)
  })

  it('fires a short timer and cancels one', async () => {
    let cancelledFired = false
    const cancelled = systemClock.setTimeout(() => {
      cancelledFired = true
    }, 0)
    systemClock.clearTimeout(cancelled)
    await new Promise<void>(resolve => systemClock.setTimeout(resolve, 1))
    await new Promise<void>(resolve => setImmediate(resolve))
    assert.equal(cancelledFired, false)
  })
})
