// What this machine has: CPU threads and model, memory, and the free disk of
// the data dir. Offers and the settings' caps are bounded by it.
import { arch, availableParallelism, cpus, totalmem } from 'node:os'
import { statfs } from 'node:fs/promises'

export interface Machine {
  readonly threads: number
  readonly cpuModel: string
  /** Golem's names: x86_64, aarch64 … */
  readonly architecture: string
  readonly memoryGib: number
  /** Free space of the data dir's file system. */
  readonly diskGib: number
}

const GIB = 1024 ** 3
const ARCHITECTURES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'x86', arm: 'arm' }

/** Reads the machine as the node sees it now. */
export async function readMachine(dataDir: string): Promise<Machine> {
  const disk = await statfs(dataDir)
  return {
    threads: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    architecture: ARCHITECTURES[arch()] ?? arch(),
    memoryGib: totalmem() / GIB,
    diskGib: (disk.bavail * disk.bsize) / GIB
  }
}

/** Two decimals, rounded down: a cap never promises more than there is. */
export function floorGib(gib: number): number {
  return Math.max(0, Math.floor(gib * 100) / 100)
}
