// A Docker engine that answers only after the exe-unit started, and later goes
// away: the exe-unit reaches the real engine through a unix socket of the
// test's own, which answers only while the test relays it to the engine.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createConnection, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { join } from 'node:path'
import Docker from 'dockerode'
import type { RuntimeStatus } from '../../exe-unit/index.ts'
import { ExeUnitError } from '../../exe-unit/index.ts'
import { dockerUp, vmProperties } from './docker.ts'
import { startExeUnit, tempDir, uniqueId } from './helpers.ts'

/** A unix socket at `path` that relays every connection to the engine's socket, until closed. */
async function engineRelay(path: string, engineSocket: string): Promise<{ close: () => Promise<void> }> {
  const open = new Set<Socket>()
  const server: Server = createServer(client => {
    const engine = createConnection(engineSocket)
    for (const socket of [client, engine]) {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
      socket.on('error', () => {
        client.destroy()
        engine.destroy()
      })
    }
    client.pipe(engine).pipe(client)
  })
  server.listen(path)
  await once(server, 'listening')
  return {
    close: async () => {
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      for (const socket of open) socket.destroy()
      await closed
    }
  }
}

const vmOf = (runtimes: readonly RuntimeStatus[]): RuntimeStatus | undefined => runtimes.find(runtime => runtime.name === 'vm')

describe('exe-unit vm runtime: an engine that answers after the start, then goes away', function () {
  this.timeout(300_000)
  let engineSocket: string

  before(async function () {
    this.timeout(300_000)
    const docker = await dockerUp()
    // docker-modem gives the path, or a function that finds the default one.
    const socketPath = (docker.modem as { socketPath?: string | (() => Promise<string>) }).socketPath
    engineSocket = typeof socketPath === 'function' ? await socketPath() : (socketPath ?? '/var/run/docker.sock')
  })

  it('is offered once the engine answers, and is not while it does not; activities are refused clearly meanwhile', async () => {
    const path = join(await tempDir(), 'engine.sock')
    const unit = await startExeUnit({ docker: new Docker({ socketPath: path }) })
    let relay: { close: () => Promise<void> } | undefined
    try {
      assert.equal(vmOf(unit.exeUnit.runtimes())?.available, false, 'no engine at the start')
      const activity = () => {
        const activityId = uniqueId('later')
        return unit.exeUnit.createActivity({
          activityId,
          agreementId: `ag-${activityId}`,
          requesterId: 'r',
          properties: vmProperties('hash:sha3:00:http://127.0.0.1:9/x')
        })
      }
      await assert.rejects(
        activity(),
        (error: unknown) => error instanceof ExeUnitError && error.code === 'Conflict' && /runtime vm is unavailable/.test(error.message)
      )
      assert.equal(vmOf(await unit.exeUnit.checkRuntimes())?.available, false, 'still no engine')

      relay = await engineRelay(path, engineSocket)
      const up = vmOf(await unit.exeUnit.checkRuntimes())
      assert.equal(up?.available, true, up?.error)
      const created = await activity()
      await unit.exeUnit.destroy(created.activityId, 'done')

      await relay.close()
      relay = undefined
      const down = vmOf(await unit.exeUnit.checkRuntimes())
      assert.equal(down?.available, false)
      assert.ok((down?.error ?? '') !== '', 'says why')
      await assert.rejects(activity(), (error: unknown) => error instanceof ExeUnitError && error.code === 'Conflict')

      relay = await engineRelay(path, engineSocket)
      assert.equal(vmOf(await unit.exeUnit.checkRuntimes())?.available, true, 'back again')
    } finally {
      await relay?.close()
      await unit.close()
    }
  })
})
