// A vm rental over real daemons and a real Docker engine: `docker:<image>` (an
// image the provider has) as the demand's task package, a command without
// arguments run by /bin/sh -c with its exit code, and files moved in and out
// of the container's /work.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandFailedError } from '../../sdk/index.ts'
import { TEST_IMAGE, dockerUp } from '../exe-unit/docker.ts'
import { rentalWorld } from './rental-world.ts'

describe('sdk: a vm rental on Docker (docker:<image>, shell commands, files in /work)', function () {
  this.timeout(300_000)
  before(async function () {
    this.timeout(300_000)
    await dockerUp()
  })
  const world = rentalWorld('vm', { 'golem.inf.mem.gib': 0.5 })

  it('runs shell lines with their exit code and moves a file through /work', async () => {
    const rental = await world.client.rent({ runtime: 'vm', image: `docker:${TEST_IMAGE}`, budget: '1', duration: 600, startupTimeoutMs: 120_000 })
    const dir = await mkdtemp(join(tmpdir(), 'agora-sdk-vm-'))
    try {
      assert.deepEqual(await rental.run('echo hello from vm'), { stdout: 'hello from vm\n', stderr: '', exitCode: 0 })
      await assert.rejects(rental.run('echo about to fail; exit 3'), (error: unknown) => {
        assert.ok(error instanceof CommandFailedError, String(error))
        assert.deepEqual(error.result, { stdout: 'about to fail\n', stderr: '', exitCode: 3 })
        return true
      })
      // An entry point with arguments runs as it is, with no shell.
      assert.equal((await rental.run('/bin/echo', ['$HOME', 'as written'])).stdout, '$HOME as written\n')
      const local = join(dir, 'in.txt')
      await writeFile(local, 'line one\nline two\n')
      await rental.upload(local, '/work/in.txt')
      const counted = await rental.run('wc -l < /work/in.txt > /work/count.txt && cat /work/count.txt')
      assert.equal(counted.stdout.trim(), '2')
      await rental.download('/work/count.txt', join(dir, 'count.txt'))
      assert.equal((await readFile(join(dir, 'count.txt'), 'utf8')).trim(), '2')
    } finally {
      await rental.release()
      await rm(dir, { recursive: true, force: true })
    }
    assert.equal(rental.state, 'released')
  })
})
