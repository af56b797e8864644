// The "wasmtime" runtime end to end on real node:wasi: modules built from the
// .wat fixtures, served as hash-verified task packages by a local HTTP server.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { keccak256, recoverAddress } from 'ethers'
import { canonicalJson, systemClock } from '../../net/index.ts'
import type { JsonValue } from '../../net/index.ts'
import type { ExeScriptCommandResult, UsageEvent } from '../../exe-unit/index.ts'
import { DEPLOY_START, buildWasm, buildWat, publishModule, runBatch, sha3, startExeUnit, startFileServer, uniqueId, wasmProperties } from './helpers.ts'
import type { FileServer, TestExeUnit } from './helpers.ts'

const RUN_TIMEOUT_MS = 1500

describe('exe-unit wasmtime runtime (node:wasi)', () => {
  let server: FileServer
  let unit: TestExeUnit
  const packages = new Map<string, string>()
  /** Moves the exe-unit's clock ahead of real time. */
  let clockOffset = 0

  before(async () => {
    server = await startFileServer()
    unit = await startExeUnit({ limits: { runTimeoutMs: RUN_TIMEOUT_MS }, clock: { ...systemClock, now: () => Date.now() + clockOffset } })
    for (const name of ['hello', 'echo-args', 'echo-env', 'stderr-exit', 'loop', 'grow-memory', 'read-file', 'escape']) {
      packages.set(name, await publishModule(server, name))
    }
  })

  after(async () => {
    await unit?.close()
    await server?.close()
  })

  /** Creates an activity for a fixture and deploys and starts it. */
  async function ready(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const activityId = uniqueId(name)
    await unit.exeUnit.createActivity({
      activityId,
      agreementId: `agreement-${activityId}`,
      requesterId: '0xrequester',
      properties: wasmProperties(packages.get(name) as string, extra)
    })
    const results = await runBatch(unit.exeUnit, activityId, DEPLOY_START)
    assert.deepEqual(
      results.map(r => r.result),
      ['Ok', 'Ok'],
      JSON.stringify(results)
    )
    return activityId
  }

  function run(entryPoint: string, args: string[] = [], capture?: unknown): Record<string, unknown> {
    return { run: { entry_point: entryPoint, args, ...(capture === undefined ? {} : { capture }) } }
  }

  function last(results: ExeScriptCommandResult[]): ExeScriptCommandResult {
    return results.at(-1) as ExeScriptCommandResult
  }

  it('deploys, starts, runs and terminates, reporting each state', async () => {
    const activityId = uniqueId('hello')
    const seen: string[] = []
    const onState = (event: { activityId: string; state: { state: [string, string | null] } }): void => {
      if (event.activityId === activityId) seen.push(event.state.state.join('>'))
    }
    unit.exeUnit.on('state', onState)
    try {
      const info = await unit.exeUnit.createActivity({
        activityId,
        agreementId: 'agreement-1',
        requesterId: '0xrequester',
        properties: wasmProperties(packages.get('hello') as string)
      })
      assert.equal(info.runtime, 'wasmtime')
      assert.deepEqual(info.state.state, ['Initialized', null])
      const results = await runBatch(unit.exeUnit, activityId, [...DEPLOY_START, run('hello'), { terminate: {} }])
      assert.deepEqual(
        results.map(r => [r.index, r.result, r.isBatchFinished]),
        [
          [0, 'Ok', false],
          [1, 'Ok', false],
          [2, 'Ok', false],
          [3, 'Ok', true]
        ]
      )
      assert.equal(results[2]?.stdout, 'hello\n')
      const state = unit.exeUnit.getState(activityId)
      assert.deepEqual(state.state, ['Terminated', null])
      assert.equal(state.reason, 'Terminated by the requester')
      assert.deepEqual(seen, [
        'New>Initialized',
        'Initialized>',
        'Initialized>Deployed',
        'Deployed>',
        'Deployed>Ready',
        'Ready>',
        'Ready>Terminated',
        'Terminated>'
      ])
      assert.throws(() => unit.exeUnit.exec(activityId, [run('hello')]), /terminated/)
    } finally {
      unit.exeUnit.off('state', onState)
    }
  })

  it('passes arguments and captures stdout and stderr with the exit code', async () => {
    const echo = await ready('echo-args')
    const [echoed] = await runBatch(unit.exeUnit, echo, [run('echo-args', ['a b', 'ü', '--x'])])
    assert.equal(echoed?.result, 'Ok')
    assert.equal(echoed?.stdout, 'a b ü --x\n')

    const failing = await ready('stderr-exit')
    const [failed] = await runBatch(unit.exeUnit, failing, [run('stderr-exit')])
    assert.equal(failed?.result, 'Error')
    assert.equal(failed?.stdout, 'out\n')
    assert.equal(failed?.stderr, 'oops\n')
    assert.match(failed?.message ?? '', /exited with code 3/)
  })

  it('gives a run exactly the environment its command names (golem-js run.env), and none to the next', async () => {
    const activityId = await ready('echo-env')
    const [withEnv, without] = await runBatch(unit.exeUnit, activityId, [
      { run: { entry_point: 'echo-env', args: [], env: { GREETING: 'hello world', EMPTY: '', UNICODE: 'ü=1' } } },
      { run: { entry_point: 'echo-env', args: [], env: null } }
    ])
    assert.equal(withEnv?.result, 'Ok', JSON.stringify(withEnv))
    assert.deepEqual(
      withEnv?.stdout
        ?.split('\n')
        .filter(line => line !== '')
        .sort(),
      ['EMPTY=', 'GREETING=hello world', 'UNICODE=ü=1']
    )
    assert.equal(without?.result, 'Ok', JSON.stringify(without))
    assert.equal(without?.stdout, '', "the provider's own environment never reaches a module")
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('ends a batch at its first failing command and streams events for it', async () => {
    const activityId = await ready('stderr-exit')
    const batchId = unit.exeUnit.exec(activityId, [
      run('stderr-exit', [], { stdout: { stream: {} }, stderr: { stream: { format: 'bin' } } }),
      run('never-runs')
    ])
    const kinds: string[] = []
    for await (const event of unit.exeUnit.streamBatch(activityId, batchId)) {
      const [kind] = Object.keys(event.kind)
      const value = Object.values(event.kind)[0] as Record<string, unknown>
      if (kind === 'stdout' || kind === 'stderr') kinds.push(`${event.index}:${kind}:${JSON.stringify(value)}`)
      else if (kind === 'finished') kinds.push(`${event.index}:finished:${String(value.returnCode)}`)
      else kinds.push(`${event.index}:${kind}`)
    }
    assert.deepEqual(kinds, ['0:started', '0:stdout:{"str":"out\\n"}', `0:stderr:{"bin":"${Buffer.from('oops\n').toString('base64')}"}`, '0:finished:3'])
    const results = await unit.exeUnit.getBatchResults(activityId, batchId)
    assert.equal(results.length, 1)
    assert.equal(results[0]?.isBatchFinished, true)
    assert.equal(results[0]?.stdout, undefined, 'streamed output is not repeated in the result')
  })

  it('waits for a given command index and returns what is there at the timeout', async () => {
    const activityId = await ready('loop')
    const batchId = unit.exeUnit.exec(activityId, [{ sign: {} }, run('loop')])
    const first = await unit.exeUnit.getBatchResults(activityId, batchId, { commandIndex: 0, timeoutMs: 5000 })
    assert.deepEqual(
      first.map(r => r.index),
      [0]
    )
    // The loop never ends by itself: the wait runs out and gives what is there.
    const partial = await unit.exeUnit.getBatchResults(activityId, batchId, { commandIndex: 1, timeoutMs: 200 })
    assert.deepEqual(
      partial.map(r => r.index),
      [0]
    )
    assert.deepEqual(
      unit.exeUnit.runningCommand(activityId).map(c => c.command),
      ['run']
    )
    await assert.rejects(unit.exeUnit.getBatchResults(activityId, batchId, { commandIndex: 2 }), /out of range/)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('refuses commands out of order with a clear error', async () => {
    const activityId = uniqueId('order')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(packages.get('hello') as string) })
    const [runFirst] = await runBatch(unit.exeUnit, activityId, [run('hello')])
    assert.equal(runFirst?.result, 'Error')
    assert.match(runFirst?.message ?? '', /run is not allowed in state Initialized \(deploy and start first\)/)
    const [startFirst] = await runBatch(unit.exeUnit, activityId, [{ start: {} }])
    assert.match(startFirst?.message ?? '', /start is not allowed in state Initialized/)
    assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Initialized', null])
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('refuses a malformed script whole before anything runs', async () => {
    const activityId = await ready('hello')
    assert.throws(
      () => unit.exeUnit.exec(activityId, [run('hello'), { terminate: {} }, { run: { entry_point: 7 } }]),
      (error: Error) => {
        assert.match(error.message, /command 2 \(run\): run\.entry_point must be a string/)
        return true
      }
    )
    assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Ready', null], 'the terminate before the bad command did not run')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('verifies the package hash and refuses a wrong one', async () => {
    const hello = await buildWasm('hello')
    const wrong = `hash:sha3:${sha3(Buffer.from('something else'))}:${server.url}hello.wasm`
    const activityId = uniqueId('wrong-hash')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(wrong) })
    const [deploy] = await runBatch(unit.exeUnit, activityId, [{ deploy: {} }])
    assert.equal(deploy?.result, 'Error')
    assert.match(deploy?.message ?? '', /hash mismatch/)
    assert.deepEqual(unit.exeUnit.getState(activityId), {
      state: ['Initialized', null],
      errorMessage: deploy?.message
    })
    // SHA3-224, as Golem's images name theirs, is accepted too.
    const right224 = `hash:sha3:${sha3(hello, 224)}:${server.url}hello.wasm`
    const other = uniqueId('sha224')
    await unit.exeUnit.createActivity({ activityId: other, agreementId: 'a', requesterId: 'r', properties: wasmProperties(right224) })
    const results = await runBatch(unit.exeUnit, other, [...DEPLOY_START, run('hello')])
    assert.equal(last(results).stdout, 'hello\n')
    await unit.exeUnit.destroy(activityId, 'test over')
    await unit.exeUnit.destroy(other, 'test over')
  })

  it('refuses a module that is not a WASI command', async () => {
    const notWasm = Buffer.from('definitely not wasm')
    server.files.set('/junk.wasm', notWasm)
    const activityId = uniqueId('junk')
    await unit.exeUnit.createActivity({
      activityId,
      agreementId: 'a',
      requesterId: 'r',
      properties: wasmProperties(`hash:sha3:${sha3(notWasm)}:${server.url}junk.wasm`)
    })
    const [deploy] = await runBatch(unit.exeUnit, activityId, [{ deploy: {} }])
    assert.match(deploy?.message ?? '', /not a WebAssembly module/)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('lets the module read its work directory and nothing outside it', async () => {
    const reader = await ready('read-file')
    const workDir = join(unit.dataDir, 'activities', reader, 'work')
    await writeFile(join(workDir, 'input.txt'), 'inside the sandbox')
    const [read] = await runBatch(unit.exeUnit, reader, [run('read-file')])
    assert.equal(read?.stdout, 'inside the sandbox')

    const escaper = await ready('escape')
    const secret = join(unit.dataDir, 'secret.txt')
    await writeFile(secret, 'provider secret')
    for (const path of ['../../../secret.txt', secret, '/etc/hostname', '../../../../../../../../etc/passwd']) {
      const [attempt] = await runBatch(unit.exeUnit, escaper, [run('escape', [path])])
      assert.equal(attempt?.result, 'Error', `reading ${path} must fail`)
      assert.equal(attempt?.stdout, '', `nothing of ${path} is printed`)
      assert.match(attempt?.message ?? '', /exited with code (76|44|2|63)\b/, `a WASI errno for ${path}: ${attempt?.message}`)
    }
    // A file of its own is readable through the same module (the test above could fail).
    await writeFile(join(join(unit.dataDir, 'activities', escaper, 'work'), 'mine.txt'), 'own file')
    const [own] = await runBatch(unit.exeUnit, escaper, [run('escape', ['mine.txt'])])
    assert.equal(own?.stdout, 'own file')
  })

  it('turns running out of memory into an error result, and the exe-unit goes on', async () => {
    const activityId = await ready('grow-memory', { 'golem.inf.mem.gib': 32 / 1024 })
    const [grown] = await runBatch(unit.exeUnit, activityId, [run('grow-memory')])
    assert.equal(grown?.result, 'Error')
    assert.match(grown?.message ?? '', /trapped: unreachable.*32 MiB limit/)
    const usage = await unit.exeUnit.usage(activityId)
    assert.ok((usage['golem.usage.gib'] ?? 0) * 1024 >= 31, `peak memory near the limit: ${JSON.stringify(usage)}`)
    assert.ok((usage['golem.usage.gib'] ?? 0) * 1024 <= 32)
    // The same activity still runs commands after the failure.
    const [again] = await runBatch(unit.exeUnit, activityId, [run('grow-memory')])
    assert.equal(again?.result, 'Error')
    assert.deepEqual(unit.exeUnit.getState(activityId).state, ['Ready', null])
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('refuses at deploy a module that needs more memory than the agreement gives', async () => {
    const big = await publishModuleText('big-memory', '(module (memory (export "memory") 1024) (func (export "_start")))')
    const activityId = uniqueId('big')
    await unit.exeUnit.createActivity({ activityId, agreementId: 'a', requesterId: 'r', properties: wasmProperties(big, { 'golem.inf.mem.gib': 32 / 1024 }) })
    const [deploy] = await runBatch(unit.exeUnit, activityId, [{ deploy: {} }])
    assert.match(deploy?.message ?? '', /needs 64 MiB of memory at start; the limit is 32 MiB/)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('stops an endless loop at the wall-clock timeout and counts its CPU time', async () => {
    const activityId = await ready('loop')
    const [looped] = await runBatch(unit.exeUnit, activityId, [run('loop')])
    assert.equal(looped?.result, 'Error')
    assert.match(looped?.message ?? '', /timed out after 1\.5 s/)
    const usage = await unit.exeUnit.usage(activityId)
    assert.ok((usage['golem.usage.cpu_sec'] ?? 0) > 0.3, `CPU seconds counted: ${JSON.stringify(usage)}`)
    const vector = await unit.exeUnit.getUsage(activityId)
    // Ordered as the agreement's usage vector: cpu_sec, duration_sec, gib. CPU stopped with the command;
    // the activity's duration goes on between the two reads.
    const [cpu, duration] = vector.currentUsage
    assert.equal(cpu, usage['golem.usage.cpu_sec'])
    assert.ok((duration ?? 0) >= (usage['golem.usage.duration_sec'] ?? Number.POSITIVE_INFINITY), `duration read later is no smaller: ${duration}`)
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  it('ends a killed activity Terminated with its reason and fails what was queued', async () => {
    const activityId = await ready('loop')
    const running = unit.exeUnit.exec(activityId, [run('loop')])
    const queued = unit.exeUnit.exec(activityId, [run('loop')])
    await unit.exeUnit.getBatchResults(activityId, running, { timeoutMs: 100 })
    let finalUsage: Record<string, number> | undefined
    const onUsage = (event: UsageEvent): void => {
      if (event.activityId === activityId && event.final) finalUsage = event.counters
    }
    unit.exeUnit.on('usage', onUsage)
    await unit.exeUnit.destroy(activityId, 'Agreement terminated by the requester', 'payment overdue')
    const [killed] = await unit.exeUnit.getBatchResults(activityId, running, { timeoutMs: 5000 })
    assert.equal(killed?.result, 'Error')
    assert.match(killed?.message ?? '', /aborted: the activity was destroyed: Agreement terminated/)
    const [dropped] = await unit.exeUnit.getBatchResults(activityId, queued, { timeoutMs: 5000 })
    assert.match(dropped?.message ?? '', /terminated before this batch ran/)
    assert.deepEqual(unit.exeUnit.getState(activityId), {
      state: ['Terminated', null],
      reason: 'Agreement terminated by the requester',
      errorMessage: 'payment overdue'
    })
    await new Promise(resolve => setImmediate(resolve))
    unit.exeUnit.off('usage', onUsage)
    assert.ok(finalUsage !== undefined, 'a final usage report is emitted')
    const frozen = await unit.exeUnit.usage(activityId)
    // A minute later by the exe-unit's clock, nothing has grown.
    clockOffset += 60_000
    assert.deepEqual(await unit.exeUnit.usage(activityId), frozen, 'counters stop with the activity')
    await assert.rejects(readFile(join(unit.dataDir, 'activities', activityId, 'work')), /ENOENT/)
  })

  it("signs a batch's results with the node key", async () => {
    const activityId = await ready('hello')
    const results = await runBatch(unit.exeUnit, activityId, [run('hello'), { sign: {} }])
    const signed = JSON.parse(last(results).stdout ?? '') as { payload: { activityId: string; results: ExeScriptCommandResult[] }; signature: string }
    assert.equal(signed.payload.activityId, activityId)
    assert.equal(signed.payload.results[0]?.stdout, 'hello\n')
    assert.match(signed.signature, /^0x[0-9a-f]{130}$/)
    const digest = keccak256(new TextEncoder().encode(canonicalJson(signed.payload as unknown as JsonValue)))
    assert.equal(recoverAddress(digest, signed.signature).toLowerCase(), unit.key.nodeId.toLowerCase(), 'signed by the node key')
    await unit.exeUnit.destroy(activityId, 'test over')
  })

  async function publishModuleText(name: string, wat: string): Promise<string> {
    const bytes = await buildWat(`${name}.wat`, wat)
    return await publishModule(server, name, bytes)
  }
})
