// The "vm" runtime on a real Docker engine: one container per activity, no
// network, memory and pid limits, output streamed as it comes, containers
// removed whatever way the activity ends.
import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type Docker from 'dockerode'
import type { ExeScriptCommandResult } from '../../exe-unit/index.ts'
import { containersLabelled, dockerUp, TEST_IMAGE, vmProperties } from './docker.ts'
import { DEPLOY_START, MemoryRequesterFiles, runBatch, sha3, startExeUnit, startFileServer, tempDir, uniqueId } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'
import { waitFor } from '../helpers/wait.ts'

const RUN_TIMEOUT_MS = 3000
const LOCAL = `docker:${TEST_IMAGE}`

describe('exe-unit vm runtime (Docker)', function () {
  this.timeout(180_000)
  let docker: Docker
  let unit: TestExeUnit
  let requester: MemoryRequesterFiles

  before(async function () {
    this.timeout(300_000)
    docker = await dockerUp()
    requester = new MemoryRequesterFiles()
    unit = await startExeUnit({ docker, requesterFiles: requester, limits: { runTimeoutMs: RUN_TIMEOUT_MS, pidsLimit: 16 } })
  })

  after(async () => {
    await unit?.close()
  })

  async function ready(extra: Record<string, unknown> = {}, taskPackage = LOCAL): Promise<string> {
    const activityId = uniqueId('vm')
    await unit.exeUnit.createActivity({ activityId, agreementId: `ag-${activityId}`, requesterId: 'r', properties: vmProperties(taskPackage, extra) })
    const results = await runBatch(unit.exeUnit, activityId, DEPLOY_START, 30_000)
    assert.deepEqual(
      results.map(r => r.result),
      ['Ok', 'Ok'],
      JSON.stringify(results)
    )
    return activityId
  }

  function sh(script: string, capture?: unknown): Record<string, unknown> {
    return { run: { entry_point: '/bin/sh', args: ['-c', script], ...(capture === undefined ? {} : { capture }) } }
  }

  async function one(activityId: string, command: Record<string, unknown>): Promise<ExeScriptCommandResult> {
    const [result] = await runBatch(unit.exeUnit, activityId, [command], 30_000)
    return result as ExeScriptCommandResult
  }

  it('runs commands with streamed stdout and stderr and their exit codes, and removes the container on terminate', async () => {
    const activityId = await ready()
    assert.equal((await containersLabelled(docker, `agora.activity=${activityId}`)).length, 1)
    const batchId = unit.exeUnit.exec(activityId, [
      sh('echo one; echo two >&2; sleep 0.3; echo three; exit 4', { stdout: { stream: {} }, stderr: { stream: {} } })
    ])
    const output: string[] = []
    for await (const event of unit.exeUnit.streamBatch(activityId, batchId)) {
      if ('stdout' in event.kind) output.push(`out:${'str' in event.kind.stdout ? event.kind.stdout.str : ''}`)
      if ('stderr' in event.kind) output.push(`err:${'str' in event.kind.stderr ? event.kind.stderr.str : ''}`)
      if ('finished' in event.kind) output.push(`exit:${event.kind.finished.returnCode}`)
    }
    assert.deepEqual(output.sort(), ['err:two\n', 'exit:4', 'out:one\n', 'out:three\n'])
    const [result] = await unit.exeUnit.getBatchResults(activityId, batchId)
    assert.equal(result?.result, 'Error')
    assert.match(result?.message ?? '', /exited with code 4/)

    const ok = await one(activityId, { run: { entry_point: '/bin/echo', args: ['hello', 'world'] } })
    assert.equal(ok.stdout, 'hello world\n')
    const results = await runBatch(unit.exeUnit, activityId, [{ terminate: {} }])
    assert.equal(results[0]?.result, 'Ok')
    assert.deepEqual(await containersLabelled(docker, `agora.activity=${activityId}`), [])
    assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Terminated', null])
  })

  it('gives the container no network, even when the agreement asks for it', async () => {
    const activityId = await ready({ 'agora.srv.net.inet': true })
    const links = await one(activityId, sh('ip -o link'))
    assert.equal(links.result, 'Ok', links.stderr)
    assert.match(links.stdout ?? '', /^1: lo:/)
    assert.equal((links.stdout ?? '').trim().split('\n').length, 1, `only lo: ${links.stdout}`)
    const connect = await one(activityId, sh('nc -w 2 1.1.1.1 80 </dev/null'))
    assert.equal(connect.result, 'Error')
    assert.match(connect.stderr ?? '', /Network is unreachable/)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('turns exceeding the memory limit into an out-of-memory error result', async () => {
    const activityId = await ready({ 'golem.inf.mem.gib': 32 / 1024 })
    const limit = await one(activityId, sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'))
    assert.equal(limit.stdout?.trim(), String(32 * 1024 * 1024))
    // dd fills a 64 MiB buffer: the kernel kills it at 32 MiB.
    const oom = await one(activityId, sh('dd if=/dev/zero of=/dev/null bs=64M count=1'))
    assert.equal(oom.result, 'Error')
    assert.match(oom.message ?? '', /out of memory: the command was killed at the container's 32 MiB limit/)
    const after = await one(activityId, sh('echo still here'))
    assert.equal(after.stdout, 'still here\n')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it("adds a run command's env (golem-js run.env) to the container's environment for that command only", async () => {
    const activityId = await ready()
    const [withEnv, without] = await runBatch(unit.exeUnit, activityId, [
      {
        run: {
          entry_point: '/bin/sh',
          args: ['-c', 'echo "$GREETING|$EMPTY|$PATH_SEEN"; env | grep -c "^EMPTY=$"'],
          env: { GREETING: 'hello world', EMPTY: '', PATH_SEEN: 'a=b' }
        }
      },
      { run: { entry_point: '/bin/sh', args: ['-c', 'env | grep -c "^GREETING="; echo "$PATH"'] } }
    ])
    assert.equal(withEnv?.stdout, 'hello world||a=b\n1\n', JSON.stringify(withEnv))
    const [unset, path] = (without?.stdout ?? '').split('\n')
    assert.equal(unset, '0', 'the next command does not inherit it')
    assert.match(path ?? '', /\/bin/, "the image's own environment stays")
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('bounds the number of processes', async () => {
    const activityId = await ready()
    const forks = await one(activityId, sh('for i in $(seq 40); do sleep 1 & done; wait; echo done'))
    assert.match(forks.stderr ?? '', /can't fork|Resource temporarily unavailable/i)
    const max = await one(activityId, sh('cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'))
    assert.equal(max.stdout?.trim(), '16')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('stops a command at the wall-clock timeout, counts its CPU time, and the container goes on', async () => {
    const activityId = await ready()
    const spin = await one(activityId, sh('while :; do :; done'))
    assert.equal(spin.result, 'Error')
    assert.match(spin.message ?? '', /timed out after 3 s/)
    const ps = await one(activityId, sh('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done'))
    assert.match(ps.stdout ?? '', /for p in/, 'the process list is read')
    assert.doesNotMatch(ps.stdout ?? '', /while :/, `the loop was killed: ${ps.stdout}`)
    // Usage is measured in the background after each command: wait for the measurement, not for time.
    await waitFor("the loop's CPU time in the usage", async () => ((await unit.exeUnit.usage(activityId))['golem.usage.cpu_sec'] ?? 0) > 0.5)
    const usage = await unit.exeUnit.usage(activityId)
    assert.ok((usage['golem.usage.gib'] ?? 0) > 0, JSON.stringify(usage))
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('moves files between the requester and the container', async () => {
    const activityId = await ready()
    requester.files.set('agora-requester:in', Buffer.from('abc'))
    const results = await runBatch(unit.exeUnit, activityId, [
      { transfer: { from: 'agora-requester:in', to: 'container:/work/in.txt' } },
      sh('tr a-z A-Z < /work/in.txt > /work/out.txt'),
      { transfer: { from: 'container:/work/out.txt', to: 'agora-requester:out' } }
    ])
    assert.deepEqual(
      results.map(r => r.result),
      ['Ok', 'Ok', 'Ok'],
      JSON.stringify(results)
    )
    assert.equal(requester.files.get('agora-requester:out')?.toString(), 'ABC')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('reports Unresponsive when the container is gone, and removes what is left', async () => {
    const activityId = await ready()
    const [info] = await containersLabelled(docker, `agora.activity=${activityId}`)
    assert.ok(info !== undefined)
    await docker.getContainer(info.Id).kill()
    const lost = await one(activityId, sh('echo hi'))
    assert.equal(lost.result, 'Error')
    assert.match(lost.message ?? '', /no longer running/)
    const state = unit.exeUnit.getState(activityId)
    assert.equal(state.state[0], 'Unresponsive')
    assert.match(state.errorMessage ?? '', /no longer running/)
    assert.deepEqual(await containersLabelled(docker, `agora.activity=${activityId}`), [], 'the failed container is removed')
    await unit.exeUnit.destroy(activityId, 'the runtime was lost')
    assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Terminated', null])
  })

  it('fails a deploy of an image the provider lacks, creating nothing', async () => {
    const activityId = uniqueId('vm')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: vmProperties('docker:agora-test/absent:1') })
    const [deploy] = await runBatch(unit.exeUnit, activityId, [{ deploy: {} }])
    assert.match(deploy?.message ?? '', /image agora-test\/absent:1 is not available on this provider/)
    assert.deepEqual(await containersLabelled(docker, `agora.activity=${activityId}`), [])
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it("removes the containers it is destroyed with, and a crashed predecessor's at start", async () => {
    const running = await ready()
    const nodeId = unit.key.nodeId
    assert.equal((await containersLabelled(docker, `agora.node=${nodeId}`)).length >= 1, true)
    // A container left by an earlier process of this node, and one of another node.
    const orphan = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['true'],
      Labels: { 'agora.node': `${nodeId}-successor`, 'agora.activity': 'orphan' }
    })
    // Earlier versions labelled containers with the checksum form of the node id: the case differs.
    const olderForm = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], Labels: { 'agora.node': `${nodeId}-successor`.toUpperCase() } })
    const foreign = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], Labels: { 'agora.node': `${nodeId}-other` } })
    try {
      await unit.exeUnit.destroy(running, 'test over')
      assert.deepEqual(await containersLabelled(docker, `agora.activity=${running}`), [])
      const successor = await startExeUnit({ docker, nodeId: `${nodeId}-successor` })
      try {
        assert.deepEqual(await containersLabelled(docker, `agora.node=${nodeId}-successor`), [])
        await assert.rejects(olderForm.inspect(), (error: { statusCode?: number }) => error.statusCode === 404, 'the older-form container is removed too')
        assert.equal((await containersLabelled(docker, `agora.node=${nodeId}-other`)).length, 1, "other nodes' containers stay")
      } finally {
        await successor.close()
      }
    } finally {
      await orphan.remove({ force: true }).catch(() => {})
      await olderForm.remove({ force: true }).catch(() => {})
      await foreign.remove({ force: true })
    }
  })

  it('loads an image from a docker save tarball named by a hash-verified task package', async () => {
    const repo = 'agora-test/saved'
    const version = `${process.pid}-${Date.now()}`
    const tag = `${repo}:${version}`
    const dir = await tempDir()
    let server: FileServer | undefined
    try {
      await docker.getImage(TEST_IMAGE).tag({ repo, tag: version })
      const tarball = join(dir, 'image.tar')
      await pipeline(await docker.getImage(tag).get(), createWriteStream(tarball))
      await docker.getImage(tag).remove()
      const bytes = await readFile(tarball)
      server = await startFileServer()
      server.files.set('/image.tar', bytes)
      const wrong = uniqueId('vm')
      await unit.exeUnit.createActivity({
        activityId: wrong,
        agreementId: 'a',
        requesterId: 'r',
        properties: vmProperties(`hash:sha3:${sha3(Buffer.from('x'), 224)}:${server.url}image.tar`)
      })
      const [refused] = await runBatch(unit.exeUnit, wrong, [{ deploy: {} }])
      assert.match(refused?.message ?? '', /hash mismatch/)
      await unit.exeUnit.destroy(wrong, 'test over')
      await assert.rejects(docker.getImage(tag).inspect(), /no such image/i, 'a refused tarball is not loaded')

      const activityId = await ready({}, `hash:sha3:${sha3(bytes, 224)}:${server.url}image.tar`)
      const hello = await one(activityId, sh('echo from the tarball'))
      assert.equal(hello.stdout, 'from the tarball\n')
      await docker.getImage(tag).inspect()
      await unit.exeUnit.destroy(activityId, 'test over')
    } finally {
      await docker
        .getImage(tag)
        .remove()
        .catch(() => {})
      await server?.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('stops a command writing past the storage the agreement names, with an error result naming it', async () => {
    const activityId = await ready({ 'golem.inf.storage.gib': 0.02 })
    const full = await one(activityId, sh('dd if=/dev/zero of=/work/fill bs=1048576 count=256 2>/dev/null; sleep 30'))
    assert.equal(full.result, 'Error')
    assert.match(full.message ?? '', /storage limit of 0\.02 GiB \(golem\.inf\.storage\.gib\) is reached/)
    // Within the limit, the same activity goes on.
    await one(activityId, sh('rm -f /work/fill'))
    const small = await one(activityId, sh('dd if=/dev/zero of=/work/small bs=1048576 count=4 2>/dev/null'))
    assert.equal(small.result, 'Ok', small.message)
    await unit.exeUnit.destroy(activityId, 'done')
  })
})
