// What a durable message costs: the synced write of enqueue (the latency a
// terminate's REST call pays), and how fast a backlog drains once the peer connects.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { NetHost, NodeKey, Outbox, signEnvelope } from '../../net/index.ts'
import type { OutboxDb } from '../../net/index.ts'
import { percentile, report } from './report.ts'

const COUNT = 300
const dir = await mkdtemp(join(tmpdir(), 'agora-outbox-bench-'))
const dbs: Array<Level<string, unknown>> = []
const hosts: NetHost[] = []
const outboxes: Outbox[] = []
try {
  const side = async (name: string): Promise<{ host: NetHost; outbox: Outbox }> => {
    const db = new Level<string, unknown>(join(dir, name), { valueEncoding: 'json' })
    await db.open()
    dbs.push(db)
    const host = new NetHost({ key: NodeKey.random() })
    await host.start()
    hosts.push(host)
    const outbox = new Outbox({ owner: 'bench', host, db: db as unknown as OutboxDb })
    outbox.handle('note', async () => {})
    await outbox.start()
    outboxes.push(outbox)
    return { host, outbox }
  }
  const sender = await side('sender')
  const receiverKey = NodeKey.random()
  const samples: number[] = []
  for (let i = 0; i < COUNT; i++) {
    const envelope = signEnvelope(sender.host.key, 'bench.note', { i, text: 'agreement closing of typical size '.repeat(8) })
    const start = performance.now()
    await sender.outbox.enqueue(receiverKey.nodeId, 'note', envelope)
    samples.push(performance.now() - start)
  }
  report('outbox.enqueue_synced.p50', percentile(samples, 50), 'ms')
  report('outbox.enqueue_synced.p95', percentile(samples, 95), 'ms')

  const db = new Level<string, unknown>(join(dir, 'receiver'), { valueEncoding: 'json' })
  await db.open()
  dbs.push(db)
  const receiverHost = new NetHost({ key: receiverKey })
  await receiverHost.start()
  hosts.push(receiverHost)
  const receiver = new Outbox({ owner: 'bench', host: receiverHost, db: db as unknown as OutboxDb })
  let received = 0
  const all = new Promise<void>(resolve => {
    receiver.handle('note', async () => {
      if (++received === COUNT) resolve()
    })
  })
  await receiver.start()
  outboxes.push(receiver)
  const start = performance.now()
  await receiverHost.dial(sender.host.addresses()[0]!)
  await all
  const seconds = (performance.now() - start) / 1000
  report('outbox.backlog_drain', COUNT / seconds, 'messages/s')
} finally {
  for (const outbox of outboxes) await outbox.stop()
  for (const host of hosts) await host.stop()
  for (const db of dbs) await db.close()
  await rm(dir, { recursive: true, force: true })
}
