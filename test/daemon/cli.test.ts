import assert from 'node:assert/strict'
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentPeer } from '../helpers/silent-peer.ts'
import { BUILT_MAIN, agora, liveChildren, reapChildren, spawnDaemon, startDaemon } from '../helpers/agora-process.ts'
import { MarketClient } from '../helpers/market-client.ts'
import type { Reply } from '../helpers/market-client.ts'

describe('agora CLI', function () {
  // Each test spawns processes; a loaded machine may take many seconds to start one.
  this.timeout(180_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-cli-'))
  })
  // Whatever a test's outcome, none of its processes outlives it.
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const me = async (url: string, key: string): Promise<Reply> => await new MarketClient(url, key).call('GET', '/me')

  it('prints help, and refuses unknown commands and flags with exit code 2', async () => {
    const help = await agora(['--help'])
    assert.equal(help.code, 0)
    for (const command of ['service run', 'app-key create', 'app-key list', 'app-key drop', 'id show']) assert.ok(help.stdout.includes(command))
    const commandHelp = await agora(['service', 'run', '--help'])
    assert.equal(commandHelp.code, 0)
    assert.match(commandHelp.stdout, /--api-addr HOST:PORT/)
    assert.match(commandHelp.stdout, /--listen MULTIADDR/)
    const groupHelp = await agora(['app-key', '--help'])
    assert.equal(groupHelp.code, 0)
    assert.match(groupHelp.stdout, /app-key create <name>/)

    const unknown = await agora(['frobnicate'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown command "frobnicate"/)
    const unknownSub = await agora(['app-key', 'burn'])
    assert.equal(unknownSub.code, 2)
    const unknownFlag = await agora(['id', 'show', '--colour'])
    assert.equal(unknownFlag.code, 2)
    assert.match(unknownFlag.stderr, /--colour/)
    const missing = await agora(['app-key', 'create', '--data-dir', join(dir, 'unused')])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /missing <name>/)
    assert.equal((await agora([])).code, 2)
  })

  it('refuses bad config before doing anything', async () => {
    const dataDir = join(dir, 'bad-config')
    const badFlag = await agora(['service', 'run', '--data-dir', dataDir, '--api-addr', 'nowhere'])
    assert.equal(badFlag.code, 2)
    assert.match(badFlag.stderr, /--api-addr/)
    const badEnv = await agora(['service', 'run', '--data-dir', dataDir], { AGORA_LISTEN: '/ip4/127.0.0.1/tcp/x' })
    assert.equal(badEnv.code, 2)
    assert.match(badEnv.stderr, /AGORA_LISTEN\[0\]/)
    await assert.rejects(access(dataDir), 'nothing was created')
  })

  it('refuses a bad or unknown module section before doing anything', async () => {
    const dataDir = join(dir, 'bad-module-config')
    const run = async (modules: unknown): Promise<{ code: number | null; stderr: string }> => {
      const file = join(dir, 'modules.json')
      await writeFile(file, JSON.stringify({ modules }))
      return await agora(['service', 'run', '--data-dir', dataDir, '--config', file])
    }
    const badValue = await run({ market: { subscriptionTtlMs: 5 } })
    assert.equal(badValue.code, 2, badValue.stderr)
    assert.match(badValue.stderr, /bad config: config modules\.market at \/subscriptionTtlMs/)
    const typo = await run({ markt: { subscriptionTtlMs: 60_000 } })
    assert.equal(typo.code, 2, typo.stderr)
    assert.match(typo.stderr, /bad config: config modules\.markt: no such module/)
    await assert.rejects(access(dataDir), 'nothing was created')
  })

  it('a daemon refusing a bad module section exits 2 and leaves no process behind', async () => {
    const file = join(dir, 'bad-modules.json')
    await writeFile(file, JSON.stringify({ modules: { activity: { limits: { maxActivities: 0 } } } }))
    const daemon = spawnDaemon(join(dir, 'bad-module-daemon'), {}, undefined, ['--config', file])
    assert.equal(await daemon.exited, 2, daemon.stderr())
    assert.match(daemon.stderr(), /bad config: config modules\.activity at \/limits\/maxActivities/)
    assert.deepEqual(liveChildren(), [])
  })

  it('a daemon told to stop while it starts (stuck joining the network) ends the start and exits cleanly', async () => {
    // The first round of dials holds the start inside the network's start-up.
    const silent = await silentPeer()
    try {
      const daemon = spawnDaemon(join(dir, 'stopped-while-starting'), { AGORA_BOOTSTRAP: silent.address })
      await silent.connected()
      daemon.child.kill('SIGTERM')
      assert.equal(await daemon.exited, 0, daemon.stderr())
      const messages = daemon.log.map(record => record.msg)
      assert.ok(messages.includes('agora daemon stopped during start-up'), JSON.stringify(messages))
      assert.ok(!messages.includes('api listening'), JSON.stringify(messages))
      await assert.rejects(access(join(dir, 'stopped-while-starting', 'api.url')))
    } finally {
      silent.close()
    }
  })

  it('id show creates the node key before the daemon ever ran', async () => {
    const dataDir = join(dir, 'fresh')
    const shown = await agora(['id', 'show', '--data-dir', dataDir])
    assert.equal(shown.code, 0, shown.stderr)
    const nodeId = /node id\s+(0x[0-9a-fA-F]{40})/.exec(shown.stdout)?.[1]
    const peerId = /peer id\s+(\S+)/.exec(shown.stdout)?.[1]
    assert.ok(nodeId !== undefined && peerId !== undefined, shown.stdout)
    assert.equal((await stat(join(dataDir, 'node-key.json'))).mode & 0o777, 0o600)
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700)
    const again = await agora(['id', 'show', '--json'], { AGORA_DATA_DIR: dataDir })
    assert.deepEqual(JSON.parse(again.stdout), { nodeId, peerId, running: false, apiUrl: null, addresses: [], reachability: null })
  })

  it('manages app-keys without a daemon', async () => {
    const dataDir = join(dir, 'offline')
    const created = await agora(['app-key', 'create', 'offline', '--data-dir', dataDir])
    assert.equal(created.code, 0, created.stderr)
    const key = created.stdout.trim()
    assert.match(key, /^[0-9a-f]{64}$/)
    const duplicate = await agora(['app-key', 'create', 'offline', '--data-dir', dataDir])
    assert.equal(duplicate.code, 1)
    assert.match(duplicate.stderr, /already exists/)
    const listed = await agora(['app-key', 'list', '--json', '--data-dir', dataDir])
    assert.deepEqual(
      JSON.parse(listed.stdout).map((k: { name: string }) => k.name),
      ['offline']
    )
    assert.ok(!listed.stdout.includes(key))
    const dropped = await agora(['app-key', 'drop', 'offline', '--data-dir', dataDir])
    assert.equal(dropped.code, 0)
    assert.match((await agora(['app-key', 'list', '--data-dir', dataDir])).stdout, /no app-keys/)
    const notFound = await agora(['app-key', 'drop', 'offline', '--data-dir', dataDir])
    assert.equal(notFound.code, 1)
  })

  it('runs the daemon: admin socket, app-keys over it, clean stop, restart after a kill', async () => {
    const dataDir = join(dir, 'node')
    const before = JSON.parse((await agora(['id', 'show', '--json', '--data-dir', dataDir])).stdout) as { nodeId: string }

    const daemon = await startDaemon(dataDir)
    assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal((await stat(join(dataDir, 'admin.sock'))).mode & 0o777, 0o600)

    const created = await agora(['app-key', 'create', 'tester', '--json', '--data-dir', dataDir])
    assert.equal(created.code, 0, created.stderr)
    const { key, name } = JSON.parse(created.stdout) as { key: string; name: string }
    assert.equal(name, 'tester')
    assert.deepEqual(await me(daemon.url, key), { status: 200, body: { identity: before.nodeId, name: 'tester', role: 'manager' } })

    const status = JSON.parse((await agora(['id', 'show', '--json', '--data-dir', dataDir])).stdout)
    assert.equal(status.nodeId, before.nodeId)
    assert.equal(status.running, true)
    assert.equal(status.apiUrl, daemon.url)
    // On loopback alone: private, no relay, and no peers.
    assert.deepEqual(status.reachability, { status: 'private', relays: [], direct: 0, relayed: 0 })
    const shownText = await agora(['id', 'show', '--data-dir', dataDir])
    assert.match(shownText.stdout, /reachable\s+private/)
    assert.match(shownText.stdout, /peers\s+0 direct, 0 through a relay/)
    const listed = await agora(['app-key', 'list', '--data-dir', dataDir])
    assert.match(listed.stdout, /tester/)
    assert.ok(!listed.stdout.includes(key))
    const duplicate = await agora(['app-key', 'create', 'tester', '--data-dir', dataDir])
    assert.equal(duplicate.code, 1)
    assert.match(duplicate.stderr, /already exists/)

    // A second daemon on the same data dir is refused.
    const second = await agora(['service', 'run', '--data-dir', dataDir, '--api-addr', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(second.code, 1)
    assert.match(second.stderr, /in use by another process/)

    // Nothing secret in the log.
    assert.ok(!JSON.stringify(daemon.log).includes(key))

    daemon.child.kill('SIGTERM')
    assert.equal(await daemon.exited, 0)
    assert.ok(daemon.log.some(record => record.msg === 'agora daemon stopped'))
    await assert.rejects(access(join(dataDir, 'api.url')))

    const revived = await startDaemon(dataDir, { AGORA_APPKEY: 'cli-test-demo-key-01' })
    revived.child.kill('SIGKILL')
    await revived.exited

    const restarted = await startDaemon(dataDir)
    assert.equal((await me(restarted.url, key)).body.identity, before.nodeId)
    assert.equal((await me(restarted.url, 'cli-test-demo-key-01')).body.name, 'autoconf')
    restarted.child.kill('SIGINT')
    assert.equal(await restarted.exited, 0)
  })

  it('the built program (what the agora bin runs) serves the same daemon', async () => {
    const dataDir = join(dir, 'built')
    const daemon = await startDaemon(dataDir, { AGORA_APPKEY: 'cli-test-built-key-01' }, BUILT_MAIN)
    const answer = await me(daemon.url, 'cli-test-built-key-01')
    assert.equal(answer.status, 200)
    assert.match(answer.body.identity, /^0x[0-9a-fA-F]{40}$/)
    daemon.child.kill('SIGTERM')
    assert.equal(await daemon.exited, 0)
  })
})
