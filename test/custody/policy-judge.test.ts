// The policies in force from their files: read at start, and again as they
// change (written in place, or aside and renamed over, as editors do) with no
// restart; a file that fails its checks leaves the last good one in force;
// every outcome audited; uses counted in LevelDB across a restart.
import assert from 'node:assert/strict'
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { AuditLog, FilePolicyJudge } from '../../custody/index.ts'
import type { AuditDb, DatasetPolicy, UseRequest } from '../../custody/index.ts'
import type { CountStore } from '../../custody/policy/use-counts.ts'
import { Store } from '../../daemon/store/store.ts'
import { NodeKey } from '../../net/index.ts'

const HASH = `sha3:${'a1'.repeat(32)}`
const OTHER_HASH = `sha3:${'b2'.repeat(32)}`
const requester = NodeKey.random().nodeId
const policyOf = (hashes: string[], change: Partial<DatasetPolicy> = {}): DatasetPolicy => ({
  dataset: 'patients',
  algorithms: { hashes },
  output: { maxBytes: 4096, minRows: 10, kinds: ['aggregate'], logs: 'none', exitCodes: 'status' },
  ...change
})
const use = (algorithmHash = HASH): UseRequest => ({ dataset: 'patients', requesterId: requester, algorithmHash, at: Date.now() })
const sha3 = (text: string): string => bytesToHex(sha3_256(new TextEncoder().encode(text)))

describe('custody policy: the file judge', function () {
  this.timeout(60_000)
  let dir: string
  let store: Store
  let audit: AuditLog
  let judge: FilePolicyJudge | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-policy-'))
    store = await Store.open(join(dir, 'db'))
    audit = new AuditLog({ db: store.sublevel('custody').sublevel('audit', { valueEncoding: 'json' }) as unknown as AuditDb })
    await audit.open()
  })
  afterEach(async () => {
    await judge?.stop()
    judge = undefined
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  const policies = (): string => join(dir, 'custody', 'policies')
  const usesDb = (): CountStore => store.sublevel('custody').sublevel('uses', { valueEncoding: 'json' }) as unknown as CountStore
  const startJudge = async (): Promise<FilePolicyJudge> => {
    judge = new FilePolicyJudge({ dir: policies(), uses: usesDb(), audit })
    await judge.start()
    return judge
  }
  /** Resolves once `holds` is true, looking at start and after each change the judge reports. */
  const once = async (what: string, holds: () => boolean | Promise<boolean>): Promise<void> => {
    const current = judge as FilePolicyJudge
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe()
        reject(new Error(`timed out waiting for ${what}`))
      }, 30_000)
      const look = async (): Promise<void> => {
        if (await holds()) {
          clearTimeout(timer)
          unsubscribe()
          resolve()
        }
      }
      const unsubscribe = current.onChange(() => void look().catch(reject))
      void look().catch(reject)
    })
  }
  /** Written aside and renamed over the policy, as editors save. */
  const save = async (text: string, name = 'patients.json'): Promise<void> => {
    const aside = join(policies(), `.${name}.${Math.random().toString(36).slice(2)}.tmp`)
    await writeFile(aside, text)
    await rename(aside, join(policies(), name))
  }

  it('no policy file: every use is refused by the rule "policy"', async () => {
    const current = await startJudge()
    assert.equal(current.policy('patients'), null)
    const decision = current.decide(use())
    assert.equal(decision.allow, false)
    assert.deepEqual(
      decision.reasons.map(r => r.rule),
      ['policy']
    )
    assert.match(current.summary('patients'), /no policy/)
  })

  it('a policy present at start is in force and audited as policy-loaded with its sha3', async () => {
    const current = await startJudge()
    const text = JSON.stringify(policyOf([HASH]))
    await current.stop()
    await writeFile(join(policies(), 'patients.json'), text)
    const restarted = await startJudge()
    assert.equal(restarted.decide(use()).allow, true)
    assert.equal(restarted.policySha3('patients'), sha3(text))
    const [loaded] = await audit.list({ kind: 'policy-loaded' })
    assert.equal(loaded?.dataset, 'patients')
    assert.equal(loaded?.detail?.sha3, sha3(text))
    assert.equal(restarted.fileOf('patients'), join(policies(), 'patients.json'))
  })

  it('hot reload: good, then bad (the good one stays, policy-rejected with the reason), then good again, with no restart', async () => {
    const current = await startJudge()
    const first = JSON.stringify(policyOf([HASH]))
    await save(first)
    await once('the first policy', () => current.policySha3('patients') === sha3(first))
    assert.equal(current.decide(use()).allow, true)
    assert.equal(current.decide(use(OTHER_HASH)).allow, false)

    const bad = JSON.stringify({ ...policyOf([OTHER_HASH]), output: { maxBytes: -1 } })
    await save(bad)
    const rejected = async () => (await audit.list({ kind: 'policy-rejected' })).find(entry => entry.detail?.sha3 === sha3(bad))
    await once('the bad policy refused', async () => (await rejected()) !== undefined)
    const entry = await rejected()
    assert.match(String(entry?.detail?.error), /policy at \/output/)
    assert.equal(entry?.detail?.kept, sha3(first))
    assert.equal(current.policySha3('patients'), sha3(first), 'the last good policy stays in force')
    assert.equal(current.decide(use()).allow, true)

    const second = `// now the other algorithm\n${JSON.stringify(policyOf([OTHER_HASH]), null, 2)}`
    await save(second)
    await once('the second policy', () => current.policySha3('patients') === sha3(second))
    assert.equal(current.decide(use()).allow, false)
    assert.equal(current.decide(use(OTHER_HASH)).allow, true)
    const kinds = (await audit.list({ dataset: 'patients' })).map(e => e.kind)
    assert.deepEqual(kinds, ['policy-loaded', 'policy-rejected', 'policy-loaded'])
  })

  it('a file written in place is taken in too; one removed leaves the dataset with no policy (policy-removed)', async () => {
    const current = await startJudge()
    const text = JSON.stringify(policyOf([HASH]))
    await writeFile(join(policies(), 'patients.json'), text)
    await once('the policy', () => current.policySha3('patients') === sha3(text))
    await unlink(join(policies(), 'patients.json'))
    await once('the policy removed', () => current.policy('patients') === null)
    assert.deepEqual(
      current.decide(use()).reasons.map(r => r.rule),
      ['policy']
    )
    assert.equal((await audit.list({ kind: 'policy-removed' })).length, 1)
  })

  it('a bad first file leaves no policy; the dataset inside must be the file name; other file names are ignored', async () => {
    const current = await startJudge()
    await save('{ "dataset": "patients", ')
    await once('not JSON refused', async () => (await audit.list({ kind: 'policy-rejected' })).length === 1)
    assert.equal(current.policy('patients'), null)
    const wrong = JSON.stringify({ ...policyOf([HASH]), dataset: 'other' })
    await save(wrong)
    await once('the wrong dataset refused', async () => (await audit.list({ kind: 'policy-rejected' })).length === 2)
    const [, entry] = await audit.list({ kind: 'policy-rejected' })
    assert.match(String(entry?.detail?.error), /is not the file's dataset/)
    await writeFile(join(policies(), 'README.txt'), 'notes')
    await save(JSON.stringify(policyOf([HASH], { dataset: 'other' })), 'other.json')
    await once('the other policy', () => current.policy('other') !== null)
    assert.deepEqual(current.datasets(), ['other'])
  })

  it('uses are counted persistently: perRequester refuses after a restart too', async () => {
    await startJudge()
    const text = JSON.stringify(policyOf([HASH], { uses: { max: 10, perRequester: 2 } }))
    await save(text)
    await once('the policy', () => judge?.policySha3('patients') === sha3(text))
    await Promise.all([judge!.recordUse('patients', requester), judge!.recordUse('patients', requester)])
    const refused = judge!.decide(use())
    assert.deepEqual(
      refused.reasons.map(r => r.rule),
      ['uses.perRequester']
    )
    await judge!.stop()
    await store.close()
    store = await Store.open(join(dir, 'db'))
    audit = new AuditLog({ db: store.sublevel('custody').sublevel('audit', { valueEncoding: 'json' }) as unknown as AuditDb })
    await audit.open()
    const again = await startJudge()
    const decision = again.decide(use())
    assert.equal(decision.allow, false)
    assert.deepEqual(
      decision.reasons.map(r => r.rule),
      ['uses.perRequester']
    )
    const other = again.decide({ ...use(), requesterId: NodeKey.random().nodeId })
    assert.equal(other.allow, true)
    assert.match(other.reasons.find(r => r.rule === 'uses.max')?.message ?? '', /^2 of 10/)
  })
})
