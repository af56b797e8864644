// Docker set-up for the vm runtime tests: a real engine brought up by
// scripts/docker-up.sh (installs and starts dockerd when absent) and the
// locally built busybox test image.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Docker from 'dockerode'

export const TEST_IMAGE = 'agora-test/busybox:1'
const DOCKER_UP = fileURLToPath(new URL('../../scripts/docker-up.sh', import.meta.url))

/** Runs scripts/docker-up.sh; fails with its output when the engine cannot be brought up. */
export async function dockerUp(): Promise<Docker> {
  try {
    await promisify(execFile)('bash', [DOCKER_UP], { timeout: 280_000, env: { ...process.env, AGORA_TEST_IMAGE: TEST_IMAGE } })
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string }
    throw new Error(`scripts/docker-up.sh failed: ${stderr ?? message}`)
  }
  const docker = new Docker()
  await docker.ping()
  return docker
}

export function vmProperties(taskPackage: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'golem.runtime.name': 'vm',
    'golem.srv.comp.task_package': taskPackage,
    'golem.inf.mem.gib': 0.125,
    'golem.inf.cpu.threads': 1,
    'golem.com.usage.vector': ['golem.usage.duration_sec', 'golem.usage.cpu_sec'],
    ...extra
  }
}

/** Containers carrying a label (key=value). */
export async function containersLabelled(docker: Docker, label: string): Promise<Docker.ContainerInfo[]> {
  return await docker.listContainers({ all: true, filters: { label: [label] } })
}
