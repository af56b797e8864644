// `agora data policy|audit|manifest` against a running daemon, as a user runs
// them, and /agora-api/v1/custody/{policies,audit,manifests}: the template
// saved as the policy is in force without a restart, a check prints every
// reason and records nothing, the audit log lists and verifies, and a
// manifest signed with the node key verifies (and an edited one does not).
import assert from 'node:assert/strict'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatasetRegistry } from '../../custody/index.ts'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import { agora, MAIN, reapChildren } from '../helpers/agora-process.ts'
import type { Result } from '../helpers/agora-process.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'

const HASH = `sha3:${'d4'.repeat(32)}`
const REQUESTER = '0x00000000000000000000000000000000000000a1'

describe('agora data policy, audit and manifest; /agora-api/v1/custody/{policies,audit,manifests}', function () {
  this.timeout(300_000)
  const cluster = new Cluster()
  let dir: string
  let node: TestNode
  let custody: CustodyModule

  const data = async (args: string[]): Promise<Result> => await agora(['data', ...args, '--data-dir', node.dataDir], {}, MAIN, dir)
  /** Saves `text` as the dataset's policy (written aside, renamed over); resolves once the judge has read it. */
  const savePolicy = async (dataset: string, text: string): Promise<void> => {
    const judge = custody.policies
    const read = new Promise<void>(resolve => {
      const unsubscribe = judge.onChange(changed => {
        if (changed === dataset) {
          unsubscribe()
          resolve()
        }
      })
    })
    await writeFile(join(dir, 'aside.json'), text)
    await rename(join(dir, 'aside.json'), judge.fileOf(dataset))
    await read
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-policy-cli-'))
    node = await cluster.start()
    custody = node.modules.find(module => module.name === 'custody') as CustodyModule
    await writeFile(join(dir, 'rows.csv'), 'age,ward\n34,north\n51,south\n')
    for (const name of ['ward', 'trusted']) await (custody.datasets as DatasetRegistry).add({ name, source: { kind: 'csv', path: join(dir, 'rows.csv') } })
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await cluster.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('bad usage is refused with exit code 2 before the daemon is asked', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['policy', 'show', 'Bad Name'], /dataset name/],
      [['policy', 'check', 'ward', '--algorithm', HASH], /--requester is required/],
      [['policy', 'check', 'ward', '--requester', REQUESTER, '--algorithm', 'md5:00'], /--algorithm: "md5:00" is not/],
      [['audit', '--limit', '0'], /--limit: "0" is not a number/],
      [['manifest', 'sign', '--name', 'mean', '--version', '1', '--hash', HASH, '--output', 'rows'], /--output "rows": one of aggregate/]
    ]
    for (const [args, message] of cases) {
      const result = await data(args)
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
    }
  })

  it('the template, saved as the policy, is in force at once; show names it and its file; check says why, records nothing', async () => {
    const template = await agora(['data', 'policy', 'template', 'ward'])
    assert.equal(template.code, 0, template.stderr)
    assert.match(template.stdout, /^\/\/ The policy of dataset ward/)
    const none = JSON.parse((await data(['policy', 'show', 'ward', '--json'])).stdout)
    assert.equal(none.inForce, false)
    await savePolicy('ward', template.stdout.replace('"hashes": []', `"hashes": ["${HASH}"]`))
    const shown = await data(['policy', 'show', 'ward'])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /in force\s+yes/)
    assert.match(shown.stdout, new RegExp(`file\\s+${custody.policies.fileOf('ward').replaceAll('/', '\\/')}`))
    assert.match(shown.stdout, /summary\s+algorithms: 1 by hash/)

    const decisionsBefore = (await custody.audit.list({ kind: 'decision' })).length
    const allowed = await data(['policy', 'check', 'ward', '--requester', REQUESTER, '--algorithm', `hash:sha3:${'d4'.repeat(32)}:http://h/a.wasm`])
    assert.equal(allowed.code, 0, allowed.stderr)
    assert.match(allowed.stdout, /^ALLOWED: dataset ward/)
    assert.match(allowed.stdout, /algorithms.hashes\s+algorithm sha3:d4d4/)
    const refused = await data(['policy', 'check', 'ward', '--requester', REQUESTER, '--algorithm', `sha3:${'e5'.repeat(32)}`, '--json'])
    assert.equal(refused.code, 1)
    const decision = JSON.parse(refused.stdout)
    assert.equal(decision.allow, false)
    assert.deepEqual(
      decision.reasons.map((r: any) => r.rule),
      ['algorithms.hashes']
    )
    const unkept = await node.client.expect<any>(200, 'POST', '/agora-api/v1/custody/policies/audited/check', { requesterId: REQUESTER, algorithm: HASH })
    assert.deepEqual(
      unkept.reasons.map((r: any) => r.rule),
      ['dataset', 'policy']
    )
    assert.equal((await custody.audit.list({ kind: 'decision' })).length, decisionsBefore, 'a check records nothing')
  })

  it('the audit log: listed and filtered over the CLI and REST, and verified', async () => {
    await savePolicy(
      'audited',
      JSON.stringify({ dataset: 'audited', algorithms: {}, output: { maxBytes: 1, minRows: 1, kinds: [], logs: 'none', exitCodes: 'status' } })
    )
    await savePolicy('audited', '{ "dataset": "audited" }')
    const listed = await data(['audit', '--dataset', 'audited', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const entries = JSON.parse(listed.stdout)
    assert.deepEqual(
      entries.map((e: any) => e.kind),
      ['policy-loaded', 'policy-rejected']
    )
    assert.match(entries[1].detail.error, /policy/)
    const table = await data(['audit', '--kind', 'policy-rejected', '--limit', '5'])
    assert.match(table.stdout, /^SEQ\s+AT\s+KIND/)
    assert.match(table.stdout, /policy-rejected\s+audited/)
    const rest = await node.client.expect<any[]>(200, 'GET', '/agora-api/v1/custody/audit?dataset=audited&kind=policy-loaded')
    assert.equal(rest.length, 1)
    assert.equal(rest[0].detail.sha3.length, 64)
    const bad = await node.client.call('GET', '/agora-api/v1/custody/audit?kind=nonsense')
    assert.equal(bad.status, 400)
    const verified = await data(['audit', '--verify'])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /the audit log verifies: \d+ entries/)
  })

  it('a manifest signed with the node key verifies; an edited one does not; a policy trusting the node allows it', async () => {
    const signed = await data(['manifest', 'sign', '--name', 'mean', '--version', '1.2.0', '--hash', HASH, '--output', 'aggregate'])
    assert.equal(signed.code, 0, signed.stderr)
    const manifest = JSON.parse(signed.stdout)
    assert.equal(manifest.publisher, node.nodeId)
    assert.deepEqual(manifest.outputs, ['aggregate'])
    await writeFile(join(dir, 'mean.json'), signed.stdout)
    const ok = await agora(['data', 'manifest', 'verify', 'mean.json'], {}, MAIN, dir)
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stdout, new RegExp(`verified: signed by ${node.nodeId}`))
    await writeFile(join(dir, 'edited.json'), JSON.stringify({ ...manifest, version: '9.9.9' }))
    const edited = await agora(['data', 'manifest', 'verify', 'edited.json', '--json'], {}, MAIN, dir)
    assert.equal(edited.code, 1)
    assert.equal(JSON.parse(edited.stdout).ok, false)
    await savePolicy(
      'trusted',
      JSON.stringify({
        dataset: 'trusted',
        algorithms: { publishers: [node.nodeId] },
        output: { maxBytes: 1, minRows: 1, kinds: [], logs: 'none', exitCodes: 'status' }
      })
    )
    const decision = await node.client.expect<any>(200, 'POST', '/agora-api/v1/custody/policies/trusted/check', {
      requesterId: REQUESTER,
      algorithm: HASH,
      manifest
    })
    assert.equal(decision.allow, true, JSON.stringify(decision))
    assert.equal(decision.reasons[0].rule, 'algorithms.publishers')
  })

  it('serves the policy schema as JSON Schema, and the policies in force', async () => {
    const schema = await node.client.expect<any>(200, 'GET', '/agora-api/v1/custody/policies/schema')
    assert.equal(schema.title, 'Agora dataset policy')
    assert.deepEqual(schema.required, ['dataset', 'algorithms', 'output'])
    const policies = await node.client.expect<any[]>(200, 'GET', '/agora-api/v1/custody/policies')
    assert.ok(policies.some(view => view.dataset === 'ward' && view.inForce === true))
  })
})
