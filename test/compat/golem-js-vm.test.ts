// golem-js 3.x, unchanged, on the vm runtime: the image is a GVMI
// (gvmkit-squash, what golem-js asks for by default) built in the set-up from
// the local busybox test image as gvmkit-build builds one, served with its
// SHA3-224 digest; the provider imports it into a real Docker engine. See
// test/helpers/golem-js-session.ts for the steps.
import { rm } from 'node:fs/promises'
import type Docker from 'dockerode'
import { containersLabelled, dockerUp } from '../exe-unit/docker.ts'
import { buildGvmi, squashfsUp } from '../exe-unit/gvmi-image.ts'
import { tempDir } from '../exe-unit/helpers.ts'
import { describeGolemJsSession } from '../helpers/golem-js-session.ts'
import { serveWorkload } from '../helpers/golem-workload.ts'
import type { ServedWorkload } from '../helpers/golem-workload.ts'

let docker: Docker

async function serveGvmi(): Promise<ServedWorkload> {
  docker = await dockerUp()
  await squashfsUp()
  const dir = await tempDir()
  try {
    const gvmi = await buildGvmi(docker, dir, { config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin:/usr/bin'], WorkingDir: '/' } })
    const served = await serveWorkload('busybox.gvmi', gvmi.bytes)
    return {
      ...served,
      close: async () => {
        await served.close()
        // The provider keeps an imported GVMI in the engine under its digest.
        await docker
          .getImage(`agora-gvmi/sha3-224:${served.imageHash}`)
          .remove({ force: true })
          .catch(() => {})
        await rm(dir, { recursive: true, force: true })
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

describeGolemJsSession({
  runtime: 'vm',
  serve: serveGvmi,
  timeoutMs: 180_000,
  succeeds: { command: 'echo hello from golem-js', stdout: 'hello from golem-js\n' },
  fails: { command: 'echo about to fail; exit 3', stdout: 'about to fail\n', code: 3 },
  withEnv: { command: 'echo "$GOLEM_GREETING"', env: { GOLEM_GREETING: 'hello from run.env' }, stdout: 'hello from run.env\n' },
  streams: { command: 'echo streamed words', stdout: 'streamed words\n' },
  streamsAndFails: { command: 'echo streamed failure; exit 4', stdout: 'streamed failure\n' },
  held: async agreementId => (await containersLabelled(docker, `agora.agreement=${agreementId}`)).map(container => container.Id)
})
