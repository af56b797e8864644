// The recorder tells a call still on its way from one that got no answer: a
// client may go on before its call is answered (golem-js's stopAndFinalize
// does, with its invoice accept), and a test then reads the answer as it is.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { recordFetch } from './http-recorder.ts'

describe('test helper: the HTTP recorder', () => {
  it('records a call in flight as pending, and answers its status once it is answered', async () => {
    const { promise: held, resolve: arrived } = Promise.withResolvers<() => void>()
    const server = createServer((_request, response) => {
      arrived(() => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const recorder = recordFetch(origin)
    try {
      const answering = recorder.answered(call => call.path === '/accept')
      const calling = fetch(`${origin}/accept`, { method: 'POST' })
      const answer = await held
      assert.deepEqual(
        recorder.calls.map(call => [call.path, call.status]),
        [['/accept', 'pending']]
      )
      assert.deepEqual(recorder.failures(), [], 'a call on its way is no failure')
      answer()
      const answered = await answering
      assert.deepEqual(
        answered.map(call => call.status),
        [200]
      )
      assert.equal((await calling).status, 200)
    } finally {
      recorder.restore()
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  })
})
