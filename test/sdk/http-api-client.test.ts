// The SDK's REST client against a real HTTP server on loopback: the bearer
// key, JSON and octet-stream bodies, the daemon's error code carried as it is,
// a status alone mapped to its code, timeouts and the caller's abort.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AbortedError, ApiError, AppKeyRefusedError, TimeoutError } from '../../sdk/index.ts'
import { HttpApiClient } from '../../sdk/client/http-api-client.ts'

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void

describe('sdk: the HTTP API client', () => {
  let server: Server
  let handler: Handler
  let client: HttpApiClient
  const held: ServerResponse[] = []

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', chunk => chunks.push(chunk))
      request.on('end', () => handler(request, Buffer.concat(chunks), response))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    client = new HttpApiClient({ url: `http://127.0.0.1:${port}/`, appKey: 'key-1', appKeySource: 'AGORA_APPKEY' })
  })

  afterEach(() => {
    for (const response of held.splice(0)) response.destroy()
  })

  after(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('sends the key as a bearer token and JSON both ways, with the query', async () => {
    handler = (request, body, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ auth: request.headers.authorization, type: request.headers['content-type'], url: request.url, body: JSON.parse(body.toString()) })
        )
    }
    const answer = await client.call<Record<string, unknown>>('POST', '/x', { body: { a: 1 }, query: { timeout: 2, skipped: undefined } })
    assert.deepEqual(answer, { auth: 'Bearer key-1', type: 'application/json', url: '/x?timeout=2', body: { a: 1 } })
  })

  it('sends bytes and streamed chunks as application/octet-stream, and streams an answer back', async () => {
    handler = (request, body, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat([Buffer.from(`${request.headers['content-type']}:`), body]))
    }
    const text = async (stream: ReadableStream<Uint8Array>): Promise<string> => Buffer.from(await new Response(stream).arrayBuffer()).toString()
    assert.equal(await text(await client.stream('PUT', '/f', { bytes: new Uint8Array([104, 105]) })), 'application/octet-stream:hi')
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([97])
      yield new Uint8Array([98])
    }
    assert.equal(await text(await client.stream('PUT', '/f', { bytes: chunks() })), 'application/octet-stream:ab')
  })

  it("carries the daemon's code, status and correlation id; a status alone gives its code", async () => {
    handler = (_request, _body, response) => {
      response.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'Gone', message: 'ended', correlationId: 'c-1' }))
    }
    await assert.rejects(client.call('GET', '/thing'), (error: unknown) => {
      assert.ok(error instanceof ApiError)
      assert.deepEqual([error.code, error.status, error.correlationId, error.message], ['Gone', 409, 'c-1', 'GET /thing: ended'])
      return true
    })
    handler = (_request, _body, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('busy')
    }
    await assert.rejects(client.call('GET', '/thing'), (error: unknown) => error instanceof ApiError && error.code === 'Unavailable' && error.status === 503)
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"broken"')
    }
    await assert.rejects(client.call('GET', '/thing'), (error: unknown) => error instanceof ApiError && error.code === 'MalformedResponse')
  })

  it("turns a 401 into AppKeyRefusedError naming the URL and the key's source", async () => {
    handler = (_request, _body, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'Unauthorized', message: 'invalid app-key' }))
    }
    await assert.rejects(client.call('GET', '/me'), (error: unknown) => {
      assert.ok(error instanceof AppKeyRefusedError)
      assert.ok(error.message.includes(client.url) && error.message.includes('AGORA_APPKEY'), error.message)
      return true
    })
  })

  it("ends a wait at its timeout (TimeoutError) or at the caller's abort (AbortedError)", async () => {
    handler = (_request, _body, response) => {
      held.push(response)
    }
    await assert.rejects(client.call('GET', '/slow', { timeoutMs: 100 }), (error: unknown) => error instanceof TimeoutError)
    const controller = new AbortController()
    const call = client.call('GET', '/slow', { signal: controller.signal })
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (held.length >= 2) resolve()
        else setImmediate(check)
      }
      check()
    })
    controller.abort()
    await assert.rejects(call, (error: unknown) => error instanceof AbortedError)
  })
})
