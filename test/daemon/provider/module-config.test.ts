import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configFlags } from '../../../daemon/cli/common-options.ts'
import { COMMANDS } from '../../../daemon/cli/commands.ts'
import { parseCommandLine } from '../../../daemon/cli/usage.ts'
import { ConfigError, loadConfig } from '../../../daemon/index.ts'
import { checkModuleSections } from '../../../daemon/service/module-config.ts'
import { defaultModules } from '../../../daemon/service/modules.ts'

describe('provider module: config section and --provider', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-provider-config-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('turns `agora service run --provider` into modules.provider.offer, keeping what the config file says beside it', async () => {
    const run = COMMANDS.find(command => command.words.join(' ') === 'service run')!
    const input = parseCommandLine(run, ['--provider', '--data-dir', dir])
    assert.ok(input !== 'help')
    await writeFile(join(dir, 'config.json'), JSON.stringify({ modules: { provider: { subnet: 'lab' } } }))
    const { config } = await loadConfig({ flags: configFlags(input.values), env: {}, cwd: dir })
    assert.deepEqual(config.modules.provider, { subnet: 'lab', offer: true })
    const plain = parseCommandLine(run, ['--data-dir', dir])
    assert.ok(plain !== 'help')
    const without = await loadConfig({ flags: configFlags(plain.values), env: {}, cwd: dir })
    assert.deepEqual(without.config.modules.provider, { subnet: 'lab' })
  })

  it('refuses a bad section before anything starts, naming the field', async () => {
    const { config } = await loadConfig({ flags: { dataDir: dir }, env: {}, cwd: dir })
    const modules = defaultModules()
    assert.ok(modules.some(module => module.name === 'provider'))
    for (const section of [{ offer: 'yes' }, { republishMarginMs: 5 }, { typo: true }]) {
      assert.throws(
        () => checkModuleSections({ ...config, modules: { provider: section } }, modules),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError)
          assert.match(err.message, /modules\.provider/)
          return true
        }
      )
    }
  })
})
