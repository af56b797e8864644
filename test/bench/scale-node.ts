// One market node of the scale benchmarks: a libp2p host, a LevelDB in its
// own temp dir and the market over them, as a daemon wires them (without the
// REST API). Several of these share one worker process.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { Market, marketNetOver, marketOutbox } from '../../market/index.ts'
import { OFFERS_TOPIC } from '../../market/network/libp2p-market-net.ts'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { Broadcast, NetHostInit, OutboxDb } from '../../net/index.ts'

export interface ScaleNode {
  host: NetHost
  market: Market
  offers: Broadcast<typeof OFFERS_TOPIC.payload>
  stop: () => Promise<void>
}

export async function startScaleNode(init: Omit<NetHostInit, 'key'> = {}): Promise<ScaleNode> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-scale-'))
  const db = new Level<string, unknown>(join(dir, 'db'), { valueEncoding: 'json' })
  const host = new NetHost({ key: NodeKey.random(), ...init })
  let market: Market | undefined
  try {
    await db.open()
    const net = marketNetOver(host)
    market = new Market({ net, db: db as never, outbox: marketOutbox({ host, db: db as unknown as OutboxDb }) })
    await host.start()
    await market.start()
  } catch (err) {
    await market?.stop().catch(() => {})
    await host.stop().catch(() => {})
    await db.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const started = market
  return {
    host,
    market: started,
    offers: host.broadcast(OFFERS_TOPIC),
    stop: async () => {
      await started.stop().catch(() => {})
      await host.stop().catch(() => {})
      await db.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** The TCP port a node listens on (the kernel's socket table is read by it). */
export function listenPort(host: NetHost): number {
  const address = host.addresses()[0] ?? ''
  const match = /\/tcp\/(\d+)\//.exec(address)
  if (match === null) throw new Error(`no TCP port in ${address}`)
  return Number(match[1])
}
