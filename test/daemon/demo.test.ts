import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { childEnv } from '../helpers/agora-process.ts'

const DEMO = fileURLToPath(new URL('../../daemon/demo.ts', import.meta.url))

describe('npm run demo', function () {
  this.timeout(180_000)

  it('negotiates an agreement and runs the WASI workload on the provider, end to end', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [DEMO], { env: childEnv(), timeout: 55_000 })
    assert.match(stdout, /both: agreement Approved/)
    assert.match(stdout, /command 2 stdout: .*hello from a WASI sandbox on the provider/)
    assert.match(stdout, /command 2 finished: return code 0/)
    assert.match(stdout, /requester: activity Terminated/)
    assert.match(stdout, /provider: agreement Terminated by the requester/)
  })
})
