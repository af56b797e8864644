import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Wallet } from 'ethers'
import { ManualClock } from '../../net/index.ts'
import { ChainError, devWallet, FailoverProvider } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

/** A loopback port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

/** An HTTP server on loopback that answers every request with `answer`, counting them. */
async function stubServer(
  answer: (res: import('node:http').ServerResponse) => void
): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0
  const server: Server = createServer((req, res) => {
    calls++
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    calls: () => calls,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  }
}

describe('payment: RPC failover across a network’s URLs', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()

  it('answers through the live chain when the first URL is dead, and passes the dead one over while it cools down', async () => {
    const clock = new ManualClock(1_000)
    const dead = `http://127.0.0.1:${await deadPort()}/`
    const provider = new FailoverProvider({ clock }, { rpcUrls: [dead, fixture.chain.rpcUrl], chainId: fixture.chain.chainId, coolDownMs: 10_000 })
    try {
      assert.ok((await provider.getBlockNumber()) >= 0)
      assert.deepEqual(provider.order, [fixture.chain.rpcUrl, dead])
      // A transfer through the provider lands once.
      const to = Wallet.createRandom().address
      const sent = await devWallet(2).connect(provider).sendTransaction({ to, value: 5n })
      await sent.wait()
      assert.equal(await provider.getBalance(to), 5n)
      clock.advance(10_001)
      assert.deepEqual(provider.order, [dead, fixture.chain.rpcUrl])
    } finally {
      provider.destroy()
    }
  })

  it('fails over on an HTTP error and on a body that is not JSON-RPC', async () => {
    const busy = await stubServer(res => res.writeHead(503).end('busy'))
    const junk = await stubServer(res => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'))
    const provider = new FailoverProvider({}, { rpcUrls: [busy.url, junk.url, fixture.chain.rpcUrl], chainId: fixture.chain.chainId })
    try {
      assert.equal(await provider.getTransactionCount(devWallet(9).address), 0)
      assert.equal(busy.calls(), 1)
      assert.equal(junk.calls(), 1)
    } finally {
      provider.destroy()
      await busy.close()
      await junk.close()
    }
  })

  it('returns a JSON-RPC error reply as the answer, without trying the next URL', async () => {
    const second = await stubServer(res => res.writeHead(500).end())
    const provider = new FailoverProvider({}, { rpcUrls: [fixture.chain.rpcUrl, second.url], chainId: fixture.chain.chainId })
    try {
      await assert.rejects(provider.send('eth_noSuchMethod', []), (err: unknown) => !(err instanceof ChainError))
      assert.equal(second.calls(), 0)
    } finally {
      provider.destroy()
      await second.close()
    }
  })

  it('answers Unavailable when no URL answers', async () => {
    const provider = new FailoverProvider({}, { rpcUrls: [`http://127.0.0.1:${await deadPort()}/`], chainId: 31337 })
    try {
      await assert.rejects(provider.getBlockNumber(), (err: unknown) => err instanceof ChainError && err.code === 'Unavailable')
    } finally {
      provider.destroy()
    }
  })
})
