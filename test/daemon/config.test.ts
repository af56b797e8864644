import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../daemon/index.ts'
import type { ConfigFlags } from '../../daemon/index.ts'

describe('daemon config', () => {
  let dir: string
  let dataDir: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-config-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    dataDir = await mkdtemp(join(dir, 'data-'))
    env = { XDG_DATA_HOME: join(dir, 'xdg') }
  })

  const load = async (flags: ConfigFlags = {}, extraEnv: NodeJS.ProcessEnv = {}) => await loadConfig({ flags, env: { ...env, ...extraEnv }, cwd: dir })

  const writeConfig = async (value: unknown, path = join(dataDir, 'config.json')): Promise<string> => {
    await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value))
    return path
  }

  it('has local-only defaults', async () => {
    const { config, secrets, configFile } = await load()
    assert.equal(config.dataDir, join(dir, 'xdg', 'agora'))
    assert.deepEqual(config.api, { host: '127.0.0.1', port: 7465 })
    // Neither relaying for others nor a port opened on the router unless asked for; WebRTC through NATs on.
    assert.deepEqual(config.net, { listen: ['/ip4/0.0.0.0/tcp/7464'], bootstrap: [], announce: [], relay: false, upnp: false, webrtc: true })
    assert.equal(config.keystore.cost, 'standard')
    assert.equal(config.log.level, 'info')
    assert.deepEqual(secrets, { keyPassphrase: '', autoAppKey: null })
    assert.equal(configFile, null)
  })

  it('takes the file, then the environment, then flags', async () => {
    await writeConfig({
      api: { host: '127.0.0.5', port: 1000 },
      net: { listen: ['/ip4/127.0.0.1/tcp/1000'], bootstrap: ['/ip4/10.0.0.1/tcp/7464'] },
      log: { level: 'debug' },
      keystore: { cost: 'light' }
    })
    const fileOnly = await load({ dataDir })
    assert.equal(fileOnly.configFile, join(dataDir, 'config.json'))
    assert.deepEqual(fileOnly.config.api, { host: '127.0.0.5', port: 1000 })
    assert.deepEqual(fileOnly.config.net.listen, ['/ip4/127.0.0.1/tcp/1000'])
    assert.equal(fileOnly.config.keystore.cost, 'light')

    const envOverFile = await load(
      { dataDir },
      { AGORA_API_ADDR: '127.0.0.6:2000', AGORA_LISTEN: '/ip4/127.0.0.1/tcp/2000, /ip4/127.0.0.1/tcp/2001', AGORA_LOG: 'warn' }
    )
    assert.deepEqual(envOverFile.config.api, { host: '127.0.0.6', port: 2000 })
    assert.deepEqual(envOverFile.config.net.listen, ['/ip4/127.0.0.1/tcp/2000', '/ip4/127.0.0.1/tcp/2001'])
    assert.deepEqual(envOverFile.config.net.bootstrap, ['/ip4/10.0.0.1/tcp/7464'], 'what the environment does not set stays')
    assert.equal(envOverFile.config.log.level, 'warn')

    const flagsOverAll = await load(
      { dataDir, apiAddr: '127.0.0.7:3000', listen: ['/ip4/127.0.0.1/tcp/3000'], logLevel: 'error' },
      { AGORA_API_ADDR: '127.0.0.6:2000', AGORA_LISTEN: '/ip4/127.0.0.1/tcp/2000' }
    )
    assert.deepEqual(flagsOverAll.config.api, { host: '127.0.0.7', port: 3000 })
    assert.deepEqual(flagsOverAll.config.net.listen, ['/ip4/127.0.0.1/tcp/3000'])
    assert.equal(flagsOverAll.config.log.level, 'error')
  })

  it('relays and maps a port by UPnP when the file or the flags say so', async () => {
    await writeConfig({ net: { relay: true } })
    const fromFile = await load({ dataDir })
    assert.deepEqual([fromFile.config.net.relay, fromFile.config.net.upnp], [true, false])
    const fromFlags = await load({ dataDir, upnp: true })
    assert.deepEqual([fromFlags.config.net.relay, fromFlags.config.net.upnp], [true, true], 'a flag adds to the file')
    const both = await load({ relay: true, upnp: true, announce: ['/ip4/8.8.8.8/tcp/7464'] })
    assert.deepEqual([both.config.net.relay, both.config.net.upnp, both.config.net.listen], [true, true, ['/ip4/0.0.0.0/tcp/7464']])
    assert.deepEqual(both.config.net.announce, ['/ip4/8.8.8.8/tcp/7464'])
    // WebRTC is on unless the file turns it off; any other value is refused.
    await writeConfig({ net: { webrtc: false } })
    assert.equal((await load({ dataDir })).config.net.webrtc, false)
    await writeConfig({ net: { webrtc: 'no' } })
    await assert.rejects(load({ dataDir }), /\/net\/webrtc/)
  })

  it('a port alone keeps the host from other sources', async () => {
    await writeConfig({ api: { host: '127.0.0.9' } })
    const { config } = await load({ dataDir, apiAddr: ':0' })
    assert.deepEqual(config.api, { host: '127.0.0.9', port: 0 })
    const v6 = await load({ dataDir, apiAddr: '[::1]:8000' })
    assert.deepEqual(v6.config.api, { host: '::1', port: 8000 })
  })

  it('finds the data dir in the environment, and the file in it', async () => {
    await writeConfig({ api: { port: 4000 } })
    const { config } = await load({}, { AGORA_DATA_DIR: dataDir })
    assert.equal(config.dataDir, dataDir)
    assert.equal(config.api.port, 4000)
  })

  it('reads a named config file; its relative paths are relative to it', async () => {
    await mkdir(join(dir, 'etc'), { recursive: true })
    const path = await writeConfig({ dataDir: 'node-a', api: { port: 5000 } }, join(dir, 'etc', 'agora.json'))
    const { config, configFile } = await load({ config: path })
    assert.equal(configFile, path)
    assert.equal(config.dataDir, join(dir, 'etc', 'node-a'))
    assert.equal(config.api.port, 5000)
  })

  it('keeps secrets out of the config', async () => {
    const { config, secrets } = await load({}, { AGORA_KEY_PASSPHRASE: 'hunter2', AGORA_APPKEY: 'demo-key-0123456789' })
    assert.deepEqual(secrets, { keyPassphrase: 'hunter2', autoAppKey: 'demo-key-0123456789' })
    assert.ok(!JSON.stringify(config).includes('hunter2'))
    assert.ok(!JSON.stringify(config).includes('demo-key'))
  })

  describe('refuses bad values, naming the source and the field', () => {
    const refuses = async (promise: Promise<unknown>, ...parts: Array<string | RegExp>): Promise<void> => {
      await assert.rejects(promise, (err: unknown) => {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`)
        for (const part of parts) {
          if (typeof part === 'string') assert.ok(err.message.includes(part), `${JSON.stringify(err.message)} lacks ${JSON.stringify(part)}`)
          else assert.match(err.message, part)
        }
        return true
      })
    }

    it('in the config file', async () => {
      const path = join(dataDir, 'config.json')
      await writeConfig('{ "api": ')
      await refuses(load({ dataDir }), `config file ${path}`, 'not valid JSON')
      await writeConfig({ api: { port: 'seven' } })
      await refuses(load({ dataDir }), `config file ${path}`, '/api/port')
      await writeConfig({ api: { port: 70000 } })
      await refuses(load({ dataDir }), '/api/port')
      await writeConfig({ net: { listen: ['/ip4/1.2.3/tcp/1'] } })
      await refuses(load({ dataDir }), `config file ${path}`, '/net/listen[0]', 'not a multiaddr')
      await writeConfig({ apiPort: 1 })
      await refuses(load({ dataDir }), `config file ${path}`, 'apiPort')
      await writeConfig({ keystore: { passphrase: 'in a file' } })
      await refuses(load({ dataDir }), '/keystore', 'passphrase')
      await writeConfig({ net: { relay: 'yes' } })
      await refuses(load({ dataDir }), `config file ${path}`, '/net/relay')
      await writeConfig({ net: { upnp: 1 } })
      await refuses(load({ dataDir }), '/net/upnp')
      await writeConfig({ net: { announce: ['/ip4/8.8.8/tcp/1'] } })
      await refuses(load({ dataDir }), '/net/announce[0]', 'not a multiaddr')
      await writeConfig({ log: { level: 'loud' } })
      await refuses(load({ dataDir }), '/log/level')
      await refuses(load({ config: join(dir, 'missing.json') }), 'missing.json', 'ENOENT')
    })

    it('in the environment', async () => {
      await refuses(load({}, { AGORA_API_ADDR: 'localhost' }), 'AGORA_API_ADDR', 'host:port')
      await refuses(load({}, { AGORA_API_ADDR: '127.0.0.1:99999' }), 'AGORA_API_ADDR')
      await refuses(load({}, { AGORA_LISTEN: '/ip4/127.0.0.1/tcp/1,tcp/2' }), 'AGORA_LISTEN[1]', '"tcp/2"')
      await refuses(load({}, { AGORA_BOOTSTRAP: 'nowhere' }), 'AGORA_BOOTSTRAP[0]')
      await refuses(load({}, { AGORA_LOG: 'chatty' }), 'AGORA_LOG', 'chatty')
      await refuses(load({}, { AGORA_KEYSTORE_COST: 'cheap' }), 'AGORA_KEYSTORE_COST')
      await refuses(load({}, { AGORA_APPKEY: 'short' }), 'AGORA_APPKEY')
      await refuses(load({}, { AGORA_APPKEY: 'has spaces in it, quite long' }), 'AGORA_APPKEY')
    })

    it('in the flags', async () => {
      await refuses(load({ apiAddr: '127.0.0.1' }), '--api-addr')
      await refuses(load({ listen: ['/ip4/127.0.0.1/tcp/1', '/ip6/zz/tcp/1'] }), '--listen[1]')
      await refuses(load({ bootstrap: [''] }), '--bootstrap[0]')
      await refuses(load({ announce: ['nowhere'] }), '--announce[0]')
      await refuses(load({ logLevel: 'x' }), '--log-level')
      await refuses(load({ dataDir: ' ' }), '--data-dir')
    })

    it('flags are checked even when the environment is also bad', async () => {
      // Each source is checked on its own: the first bad one is reported.
      await refuses(load({ apiAddr: 'x' }, { AGORA_API_ADDR: '127.0.0.1:1' }), '--api-addr')
    })
  })
})
