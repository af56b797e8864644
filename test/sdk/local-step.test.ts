// A workflow step at the requester runs its WASI module in a thread of its
// own: the SDK's event loop keeps turning while it runs, and an abort ends
// a module that would never return.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runLocalStep } from '../../sdk/index.ts'
import type { WorkflowStepDocument } from '../../sdk/index.ts'
import { buildWasm } from '../exe-unit/helpers.ts'
import { madeTempDir } from '../helpers/temp-dirs.ts'

async function stepOf(fixture: string): Promise<WorkflowStepDocument> {
  const image = join(await madeTempDir('agora-local-step-'), `${fixture}.wasm`)
  await writeFile(image, await buildWasm(fixture))
  return { id: fixture, site: 'requester', algorithm: { runtime: 'wasmtime', image, command: fixture } }
}

describe('sdk: a workflow step at the requester', function () {
  this.timeout(60_000)

  it('leaves the event loop free while its module runs, and an abort ends a module that never returns', async () => {
    const controller = new AbortController()
    const running = runLocalStep(await stepOf('loop'), new Map(), controller.signal)
    let settled = false
    running.then(
      () => (settled = true),
      () => (settled = true)
    )
    // A timer fires while the module spins: had it run on this thread, the timer would wait for ever.
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(settled, false, 'the looping module is still running')
    const reason = new Error('stopped by the caller')
    controller.abort(reason)
    await assert.rejects(running, error => error === reason)
  })

  it('runs a module to its end and hands back what it wrote to /out', async () => {
    const step = { ...(await stepOf('hello')), outputs: [] }
    const session = await runLocalStep(step, new Map(), new AbortController().signal)
    await assert.rejects(session.fetch('nothing', new AbortController().signal), /has no output "nothing"/)
    await session.close()
  })

  it('fails a module that cannot be compiled with a clear error', async () => {
    const image = join(await madeTempDir('agora-local-step-'), 'bad.wasm')
    await writeFile(image, 'not a module')
    const step: WorkflowStepDocument = { id: 'bad', site: 'requester', algorithm: { runtime: 'wasmtime', image, command: 'bad' } }
    await assert.rejects(runLocalStep(step, new Map(), new AbortController().signal), /step "bad" could not run at the requester/)
  })
})
