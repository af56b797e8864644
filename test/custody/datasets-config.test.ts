import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../daemon/index.ts'
import { checkModuleSections } from '../../daemon/service/module-config.ts'
import { defaultModules } from '../../daemon/service/modules.ts'

describe('custody module: the datasets limits in modules.custody', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-custody-config-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('takes the limits, and refuses a bad one before anything starts, naming the field', async () => {
    const { config } = await loadConfig({ flags: { dataDir: dir }, env: {}, cwd: dir })
    const modules = defaultModules()
    checkModuleSections({ ...config, modules: { custody: { datasets: { maxBytes: 1024, maxFiles: 3, maxDatasets: 2 } } } }, modules)
    for (const datasets of [{ maxBytes: 0 }, { maxFiles: 1.5 }, { maxDatasets: '2' }, { typo: 1 }]) {
      assert.throws(
        () => checkModuleSections({ ...config, modules: { custody: { datasets } } }, modules),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError)
          assert.match(err.message, /modules\.custody/)
          return true
        },
        JSON.stringify(datasets)
      )
    }
  })
})
