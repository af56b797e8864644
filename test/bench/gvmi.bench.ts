// GVMI packages in the vm runtime: how long a deploy takes when the package
// is new (download, SHA3-224, checks, listing, unsquashfs, docker import) and
// when the engine already keeps its image, for the busybox test image.
import { rm } from 'node:fs/promises'
import type { ExeUnit } from '../../exe-unit/index.ts'
import { dockerUp, vmProperties } from '../exe-unit/docker.ts'
import { buildGvmi, gvmiFile, squashfsUp } from '../exe-unit/gvmi-image.ts'
import { DEPLOY_START, runBatch, sha3, startExeUnit, startFileServer, tempDir, uniqueId } from '../exe-unit/helpers.ts'
import { percentile, report } from './report.ts'

const FRESH = 3
const KEPT = 5

/** Milliseconds from creating the activity until deploy and start are done. */
async function timedDeploy(exeUnit: ExeUnit, taskPackage: string): Promise<number> {
  const started = performance.now()
  const { activityId } = await exeUnit.createActivity({
    activityId: uniqueId('bench'),
    agreementId: 'bench',
    requesterId: 'bench',
    properties: vmProperties(taskPackage, { 'golem.srv.comp.vm.package_format': 'gvmkit-squash' })
  })
  const results = await runBatch(exeUnit, activityId, DEPLOY_START, 120_000)
  const took = performance.now() - started
  if (results.some(r => r.result !== 'Ok')) throw new Error(`deploy failed: ${JSON.stringify(results)}`)
  await exeUnit.destroy(activityId, 'bench over')
  return took
}

const docker = await dockerUp()
await squashfsUp()
const dir = await tempDir()
const server = await startFileServer()
const unit = await startExeUnit({ docker })
const digests: string[] = []
try {
  const gvmi = await buildGvmi(docker, dir, { config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/work' } })
  report('gvmi_package_busybox', Math.round(gvmi.bytes.byteLength / 1024), 'KiB')
  const fresh: number[] = []
  let kept = ''
  for (let i = 0; i < FRESH; i++) {
    // A different Hostname in the metadata: a new digest, so a new import each time.
    const bytes = gvmiFile(gvmi.squashfs, Buffer.from(JSON.stringify({ ...gvmi.config, Hostname: `bench-${i}` })))
    const digest = sha3(bytes, 224)
    digests.push(digest)
    server.files.set(`/${i}.gvmi`, bytes)
    kept = `hash:sha3:${digest}:${server.url}${i}.gvmi`
    fresh.push(await timedDeploy(unit.exeUnit, kept))
  }
  report('gvmi_deploy_new_package_median', Math.round(percentile(fresh, 50)), 'ms')
  const again: number[] = []
  for (let i = 0; i < KEPT; i++) again.push(await timedDeploy(unit.exeUnit, kept))
  report('gvmi_deploy_kept_image_median', Math.round(percentile(again, 50)), 'ms')
} finally {
  await unit.close()
  await server.close()
  for (const digest of digests) {
    await docker
      .getImage(`agora-gvmi/sha3-224:${digest}`)
      .remove({ force: true })
      .catch(() => {})
  }
  await rm(dir, { recursive: true, force: true })
}
