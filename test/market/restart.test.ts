import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agora, reapChildren, startDaemon } from '../helpers/agora-process.ts'
import type { Daemon } from '../helpers/agora-process.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import type { Party } from '../helpers/negotiation.ts'
import { eventually } from '../helpers/wait.ts'

// Two `agora service run` processes; the requester's is killed with SIGKILL
// after the agreement is Approved and started again on the same data dir.
describe('market: a daemon killed and restarted keeps its agreements and app-keys', function () {
  this.timeout(240_000)
  let dir: string
  const running: Daemon[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-restart-'))
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    for (const daemon of running) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  const KEY = 'restart-test-app-key-01'
  const start = async (name: string, bootstrap?: string): Promise<{ daemon: Daemon; party: Party; dataDir: string }> => {
    const dataDir = join(dir, name)
    const env: NodeJS.ProcessEnv = { AGORA_APPKEY: KEY }
    if (bootstrap !== undefined) env.AGORA_BOOTSTRAP = bootstrap
    const daemon = await startDaemon(dataDir, env)
    running.push(daemon)
    const client = new MarketClient(daemon.url, KEY)
    const me = await client.expect<{ identity: string }>(200, 'GET', '/me')
    return { daemon, party: { nodeId: me.identity, client }, dataDir }
  }

  it('after SIGKILL the agreement is still Approved on restart, and a second app-key still works', async () => {
    const provider = await start('provider')
    const status = JSON.parse((await agora(['id', 'show', '--json', '--data-dir', provider.dataDir])).stdout) as { addresses: string[] }
    const requester = await start('requester', status.addresses[0])

    const created = await agora(['app-key', 'create', 'second', '--json', '--data-dir', requester.dataDir])
    assert.equal(created.code, 0, created.stderr)
    const secondKey = (JSON.parse(created.stdout) as { key: string }).key

    const negotiated = await approvedAgreement(provider.party, requester.party)
    const before = await requester.party.client.agreement(negotiated.agreementId)
    assert.equal(before.state, 'Approved')

    requester.daemon.child.kill('SIGKILL')
    await requester.daemon.exited
    const again = await start('requester', status.addresses[0])
    assert.equal(again.party.nodeId, requester.party.nodeId)
    assert.deepEqual(await again.party.client.agreement(negotiated.agreementId), before)
    // Its live subscription survived too, under the same id.
    const demands = await again.party.client.expect<any[]>(200, 'GET', '/market-api/v1/demands')
    assert.deepEqual(
      demands.map(d => d.demandId),
      [negotiated.demandId]
    )
    const second = new MarketClient(again.daemon.url, secondKey)
    assert.equal((await second.expect<{ name: string }>(200, 'GET', '/me')).name, 'second')

    // The agreement is still live between the two: the restarted requester terminates it
    // (204 once the closing is queued; the provider holds it as soon as it is delivered).
    await again.party.client.expect(204, 'POST', `/market-api/v1/agreements/${negotiated.agreementId}/terminate`, { message: 'done' })
    await eventually('Terminated at the provider', async () => (await provider.party.client.agreement(negotiated.agreementId)).state === 'Terminated')
  })
})
