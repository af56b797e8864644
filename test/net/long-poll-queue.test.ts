import assert from 'node:assert/strict'
import { LongPollQueue, QueueClosedError } from '../../net/index.ts'

describe('long-poll queue', () => {
  it('returns queued events at once, at most max, each once', async () => {
    const queue = new LongPollQueue<number>()
    for (let i = 0; i < 5; i++) queue.push(i)
    assert.deepEqual(await queue.take(3, 1000), [0, 1, 2])
    assert.deepEqual(await queue.take(3, 1000), [3, 4])
    assert.deepEqual(await queue.take(3, 0), [])
  })

  it('wakes a waiting caller when an event arrives', async () => {
    const queue = new LongPollQueue<string>()
    // Far past mocha's timeout: a missed wake fails the test rather than returning empty.
    const taken = queue.take(10, 60_000)
    setTimeout(() => queue.push('x'), 20)
    assert.deepEqual(await taken, ['x'])
  })

  it('returns empty on timeout and on abort', async () => {
    const queue = new LongPollQueue<string>()
    assert.deepEqual(await queue.take(1, 30), [])
    const controller = new AbortController()
    const taken = queue.take(1, 60_000, controller.signal)
    controller.abort()
    assert.deepEqual(await taken, [])
  })

  it('ends waiting callers when closed', async () => {
    const queue = new LongPollQueue<string>()
    const taken = queue.take(1, 60_000)
    queue.close()
    await assert.rejects(taken, QueueClosedError)
    await assert.rejects(queue.take(1, 0), QueueClosedError)
  })

  it('drops the oldest events beyond its capacity and counts them', async () => {
    const queue = new LongPollQueue<number>(3)
    for (let i = 0; i < 5; i++) queue.push(i)
    assert.equal(queue.dropped, 2)
    assert.deepEqual(await queue.take(10, 0), [2, 3, 4])
  })
})
