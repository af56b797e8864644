import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agora, MAIN, reapChildren } from '../helpers/agora-process.ts'
import type { Result } from '../helpers/agora-process.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { waitFor } from '../helpers/wait.ts'

const DATASETS = '/agora-api/v1/custody/datasets'

describe('agora data and /agora-api/v1/custody/datasets', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let dir: string
  let node: TestNode

  async function data(args: string[]): Promise<Result> {
    return await agora(['data', ...args, '--data-dir', node.dataDir], {}, MAIN, dir)
  }
  async function json<T = any>(args: string[]): Promise<T> {
    const result = await data([...args, '--json'])
    assert.equal(result.code, 0, `agora data ${args.join(' ')}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-data-cli-'))
    node = await cluster.start()
    await mkdir(join(dir, 'in'))
    await writeFile(join(dir, 'in', 'ward.csv'), 'age,ward\n34,north\n51,"south, east"\n')
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await cluster.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('says to start the daemon when none runs, and refuses bad usage with exit code 2 before asking it', async () => {
    const none = await agora(['data', 'list', '--data-dir', join(dir, 'none')])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /start the daemon/)
    const cases: Array<[string[], RegExp]> = [
      [['add', 'ward'], /give exactly one of --csv FILE, --dir DIR and --sqlite FILE --view SQL/],
      [['add', 'ward', '--csv', 'a.csv', '--dir', 'd'], /give exactly one/],
      [['add', 'ward', '--sqlite', 'a.db'], /--sqlite needs --view/],
      [['add', 'ward', '--csv', 'a.csv', '--view', 'SELECT 1'], /--view goes with --sqlite/],
      [['add', 'Ward', '--csv', 'a.csv'], /dataset name "Ward"/],
      [['add', 'ward', '--csv', 'a.csv', '--price-per-use', '0.5.1'], /--price-per-use: "0.5.1" is not a price/],
      [['show', '../x'], /dataset name/]
    ]
    for (const [args, message] of cases) {
      const result = await data(args)
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
    }
    const group = await agora(['data'])
    assert.equal(group.code, 2)
    assert.match(group.stderr, /agora data <add\|list\|show\|remove/)
  })

  it('adds a CSV given relative to its directory, lists, shows and removes it', async () => {
    const added = await json([
      'add',
      'ward',
      '--csv',
      'in/ward.csv',
      '--description',
      'ward admissions',
      '--tag',
      'health',
      '--tag',
      'demo',
      '--price-per-use',
      '0.25',
      '--price-per-hour',
      '0.01'
    ])
    assert.equal(added.name, 'ward')
    assert.equal(added.source.path, join(dir, 'in', 'ward.csv'))
    assert.equal(added.rows, 2)
    assert.deepEqual(added.columns, [
      { name: 'age', type: 'integer' },
      { name: 'ward', type: 'text' }
    ])
    assert.deepEqual(added.tags, ['health', 'demo'])
    assert.deepEqual(added.price, { perUse: '0.25', perHour: '0.01' })
    assert.equal(added.policy, 'policy: none')
    assert.ok((await stat(join(added.dir, 'data.csv'))).isFile())

    const listed = await json<any[]>(['list'])
    assert.deepEqual(
      listed.map(each => each.name),
      ['ward']
    )
    const text = await data(['list'])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^DATASET\s+KIND\s+ROWS/)
    assert.match(text.stdout, /ward\s+csv\s+2\s+/)
    const shown = await data(['show', 'ward'])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /description\s+ward admissions/)
    assert.match(shown.stdout, /age\s+integer/)
    assert.match(shown.stdout, new RegExp(`data\\.csv\\s+${added.files[0].bytes}\\s+${added.files[0].sha3}`))

    const again = await data(['add', 'ward', '--csv', 'in/ward.csv'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /a dataset named ward exists already/)
    const missing = await data(['add', 'other', '--csv', 'in/none.csv'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /--csv: .*in\/none\.csv does not exist/)

    assert.deepEqual(await json(['remove', 'ward']), { removed: 'ward' })
    assert.deepEqual(await json(['list']), [])
    await assert.rejects(stat(added.dir), { code: 'ENOENT' })
    const gone = await data(['show', 'ward'])
    assert.equal(gone.code, 1)
    assert.match(gone.stderr, /no dataset named ward/)
  })

  it('answers REST clients with the codes of the vocabulary, and never a stack or an internal text', async () => {
    const csv = join(dir, 'in', 'ward.csv')
    const cases: Array<[unknown, number, RegExp]> = [
      [{ name: 'x', csv: 'in/ward.csv' }, 400, /must be absolute/],
      [{ name: 'x', csv, dir }, 400, /exactly one source/],
      [{ name: 'x', sqlite: csv }, 400, /sqlite needs view/],
      [{ name: 'x', csv, view: 'SELECT 1' }, 400, /view goes with sqlite/],
      [{ name: 'x', csv, price: { perUse: '1e3' } }, 400, /perUse|price/],
      [{ name: 'X', csv }, 400, /name/],
      [{ name: 'x', csv, extra: true }, 400, /extra|additional/]
    ]
    for (const [body, status, message] of cases) {
      const reply = await node.client.call('POST', DATASETS, body)
      assert.equal(reply.status, status, JSON.stringify(body))
      assert.equal(reply.body.code, 'BadRequest')
      assert.match(reply.body.message, message)
      assert.ok(!/at .*\.ts:\d+/.test(reply.body.message))
    }
    assert.deepEqual((await node.client.call('GET', `${DATASETS}/none`)).body.code, 'NotFound')
    assert.deepEqual((await node.client.call('DELETE', `${DATASETS}/none`)).status, 404)
    assert.equal((await node.client.call('GET', DATASETS, undefined, null)).status, 401)
    assert.deepEqual(await node.client.expect(200, 'GET', DATASETS), [])
  })

  it('refuses to remove a dataset while an agreement on it is in force, and removes it once that ends', async () => {
    const requester = await cluster.start()
    await node.client.expect(201, 'POST', DATASETS, { name: 'held', csv: join(dir, 'in', 'ward.csv') })
    const party = (n: TestNode) => ({ nodeId: n.nodeId, client: n.client })
    const { agreementId } = await approvedAgreement(party(node), party(requester), { offerExtra: { 'agora.data.name': 'held' } })
    const refused = await node.client.call('DELETE', `${DATASETS}/held`)
    assert.equal(refused.status, 409)
    assert.equal(refused.body.code, 'Conflict')
    assert.match(refused.body.message, /in use/)
    assert.equal((await node.client.expect(200, 'GET', `${DATASETS}/held`)).name, 'held')

    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    await waitFor('the provider sees the agreement terminated', async () => (await node.client.agreement(agreementId)).state === 'Terminated')
    await node.client.expect(204, 'DELETE', `${DATASETS}/held`)
    assert.deepEqual(await node.client.expect(200, 'GET', DATASETS), [])
  })
})
