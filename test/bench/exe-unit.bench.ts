// The exe-unit's latencies and footprint: exec → first result of a trivial
// WASI run and of a trivial container run, sequential WASI runs per second,
// and the daemon's resident memory per running activity.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createHash } from 'node:crypto'
import Docker from 'dockerode'
import wabtFactory from 'wabt'
import { ExeUnit } from '../../exe-unit/index.ts'
import { percentile, report } from './report.ts'

const HELLO_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`
const TEST_IMAGE = 'agora-test/busybox:1'
const ACTIVITIES_FOR_RSS = 20

async function buildHello (): Promise<Buffer> {
  const wabt = await wabtFactory()
  const module = wabt.parseWat('hello.wat', HELLO_WAT)
  try {
    return Buffer.from(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

async function serve (bytes: Buffer): Promise<{ url: string, close: () => void }> {
  const server = createServer((_request, response) => { response.writeHead(200).end(bytes) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello.wasm`, close: () => { server.close() } }
}

let counter = 0
async function readyActivity (exeUnit: ExeUnit, properties: Record<string, unknown>): Promise<string> {
  const { activityId } = await exeUnit.createActivity({ activityId: `bench-${++counter}`, agreementId: 'bench', requesterId: 'bench', properties })
  const batchId = exeUnit.exec(activityId, [{ deploy: {} }, { start: {} }])
  const results = await exeUnit.getBatchResults(activityId, batchId, { timeoutMs: 60_000 })
  if (results.some(r => r.result !== 'Ok') || results.length !== 2) throw new Error(`deploy failed: ${JSON.stringify(results)}`)
  return activityId
}

/** Milliseconds from exec until the run's result is there. */
async function timedRun (exeUnit: ExeUnit, activityId: string, entryPoint: string): Promise<number> {
  const started = performance.now()
  const batchId = exeUnit.exec(activityId, [{ run: { entry_point: entryPoint } }])
  const [result] = await exeUnit.getBatchResults(activityId, batchId, { timeoutMs: 30_000 })
  const took = performance.now() - started
  if (result?.result !== 'Ok') throw new Error(`run failed: ${JSON.stringify(result)}`)
  return took
}

function rssMb (): number {
  (globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().rss / 1024 / 1024
}

async function dockerReady (): Promise<Docker | string> {
  const script = fileURLToPath(new URL('../../scripts/docker-up.sh', import.meta.url))
  try {
    await promisify(execFile)('bash', [script], { timeout: 300_000 })
    const docker = new Docker()
    await docker.ping()
    return docker
  } catch (error) {
    return `docker is unavailable: ${(error as { stderr?: string }).stderr?.trim() ?? (error as Error).message}`
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'agora-bench-'))
const hello = await buildHello()
const server = await serve(hello)
const docker = await dockerReady()
const exeUnit = new ExeUnit({
  dataDir,
  nodeId: '0xbench',
  sign: async () => '0x',
  docker: typeof docker === 'string' ? false : docker,
  allowPrivateNetworks: true,
  limits: { maxActivities: ACTIVITIES_FOR_RSS + 4, maxMemoryGib: 16, maxThreads: 64 }
})
await exeUnit.start()
const wasi = {
  'golem.runtime.name': 'wasmtime',
  'golem.srv.comp.task_package': `hash:sha3:${createHash('sha3-256').update(hello).digest('hex')}:${server.url}`,
  'golem.inf.mem.gib': 0.0625
}
try {
  const activityId = await readyActivity(exeUnit, wasi)
  for (let i = 0; i < 20; i++) await timedRun(exeUnit, activityId, 'hello')
  const samples: number[] = []
  for (let i = 0; i < 200; i++) samples.push(await timedRun(exeUnit, activityId, 'hello'))
  report('exe-unit.wasi_exec_to_result_p50', percentile(samples, 50), 'ms')
  report('exe-unit.wasi_exec_to_result_p95', percentile(samples, 95), 'ms')

  const started = performance.now()
  for (let i = 0; i < 1000; i++) await timedRun(exeUnit, activityId, 'hello')
  report('exe-unit.wasi_sequential_runs', 1000 / ((performance.now() - started) / 1000), 'runs/s')
  await exeUnit.destroy(activityId, 'bench over')

  if (typeof docker === 'string') {
    console.log(`# exe-unit.container_exec_to_result_p50 skipped: ${docker}`)
  } else {
    const container = await readyActivity(exeUnit, { 'golem.runtime.name': 'vm', 'golem.srv.comp.task_package': `docker:${TEST_IMAGE}`, 'golem.inf.mem.gib': 0.125 })
    for (let i = 0; i < 3; i++) await timedRun(exeUnit, container, '/bin/true')
    const containerSamples: number[] = []
    for (let i = 0; i < 30; i++) containerSamples.push(await timedRun(exeUnit, container, '/bin/true'))
    report('exe-unit.container_exec_to_result_p50', percentile(containerSamples, 50), 'ms')
    await exeUnit.destroy(container, 'bench over')
  }

  const before = rssMb()
  const running: string[] = []
  for (let i = 0; i < ACTIVITIES_FOR_RSS; i++) {
    const id = await readyActivity(exeUnit, wasi)
    await timedRun(exeUnit, id, 'hello')
    running.push(id)
  }
  report('exe-unit.rss_per_running_wasi_activity', (rssMb() - before) / ACTIVITIES_FOR_RSS, 'MB')
  for (const id of running) await exeUnit.destroy(id, 'bench over')
} finally {
  await exeUnit.close()
  server.close()
  await rm(dataDir, { recursive: true, force: true })
}
