import assert from 'node:assert/strict'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agora, reapChildren } from '../helpers/agora-process.ts'

describe('agora payment', function () {
  this.timeout(180_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-payment-cli-'))
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses bad options with exit code 2, and says so when no daemon runs', async () => {
    const dataDir = join(dir, 'none')
    for (const [args, message] of [
      [['status', '--platform', 'polygon'], /--platform: "polygon" is not a payment platform/],
      [['status', '--address', '0x12'], /--address: "0x12" is not a 0x address/],
      [['fund', '--platform', 'ERC20-x-y'], /--platform/],
      [['claim', '--deposit', '0xabc'], /--deposit: "0xabc" is not a deposit id/],
      [['deposits', 'extra'], /unexpected argument "extra"/]
    ] as const) {
      const result = await agora(['payment', ...args, '--data-dir', dataDir])
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
    }
    for (const command of ['status', 'accounts', 'deposits', 'claim', 'fund']) {
      const result = await agora(['payment', command, '--data-dir', dataDir])
      assert.equal(result.code, 1, result.stderr)
      assert.match(result.stderr, /^agora: no daemon is running on .*: the payment commands ask a running one/)
    }
    await assert.rejects(access(join(dataDir, 'db')), 'no store was opened')
  })
})
