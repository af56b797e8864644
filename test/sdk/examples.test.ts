import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { DEMO_APP_KEY, startMarketplace } from '../../daemon/demo/marketplace.ts'
import type { Marketplace } from '../../daemon/demo/marketplace.ts'
import { fundAll } from '../../daemon/demo/money.ts'
import { serveWorkload } from '../../daemon/demo/workload.ts'
import type { DemoWorkload } from '../../daemon/demo/workload.ts'
import { childEnv } from '../helpers/agora-process.ts'

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url))

describe('the SDK guide examples (examples/*.ts), each run against real daemons on a dev chain', function () {
  this.timeout(240_000)
  let dir: string
  let workload: DemoWorkload
  let marketplace: Marketplace

  before(async function () {
    this.timeout(180_000)
    dir = await mkdtemp(join(tmpdir(), 'agora-examples-'))
    workload = await serveWorkload(dir)
    marketplace = await startMarketplace({ dir, providers: 2, agreementsPerProvider: 4 })
    await fundAll(marketplace.parties)
  })
  after(async function () {
    this.timeout(60_000)
    await marketplace?.stop()
    await workload?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const example = async (name: string, args: string[]): Promise<string> => {
    const env = childEnv({ AGORA_API_URL: marketplace.requester.url, AGORA_APPKEY: DEMO_APP_KEY })
    const { stdout } = await promisify(execFile)(process.execPath, [join(EXAMPLES, name), ...args], { env, timeout: 180_000 })
    return stdout
  }

  it('hello.ts: rents a provider, runs a command, reads stdout and the exit code, releases it and shows the cost', async () => {
    const stdout = await example('hello.ts', [workload.taskPackage, 'marketplace'])
    assert.match(stdout, /^rented provider-[12]$/m)
    assert.match(stdout, /^stdout: MARKETPLACE$/m)
    assert.match(stdout, /^exit code: 0$/m)
    const cost = stdout.match(/^cost: (\S+) \(invoice (\S+)\)$/m)
    assert.ok(cost !== null, stdout)
    assert.ok(Number(cost[1]) > 0, `a cost was accepted: ${cost[1]}`)
    assert.notEqual(cost[2], 'none')
  })

  it('map.ts: maps the words over the providers, results in input order, every rental paid', async () => {
    const words = ['one', 'two', 'three', 'four', 'five', 'six']
    const stdout = await example('map.ts', [workload.taskPackage, ...words])
    assert.match(stdout, /^results: ONE TWO THREE FOUR FIVE SIX$/m)
    assert.equal(stdout.match(/^done: /gm)?.length, words.length)
    const totals = stdout.match(/^rentals: (\d+), cost: (\S+)$/m)
    assert.ok(totals !== null, stdout)
    assert.ok(Number(totals[1]) >= 1)
    assert.ok(Number(totals[2]) > 0)
  })
})
