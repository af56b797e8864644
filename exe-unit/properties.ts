// Reads what an activity needs from its agreement's flat properties (offer and
// demand merged): runtime, package, resources, network grant, usage vector.
import { ExeUnitError } from './errors.ts'
import type { ExeUnitLimits } from './limits.ts'

export const PROP = {
  runtimeName: 'golem.runtime.name',
  taskPackage: 'golem.srv.comp.task_package',
  memoryGib: 'golem.inf.mem.gib',
  threads: 'golem.inf.cpu.threads',
  storageGib: 'golem.inf.storage.gib',
  usageVector: 'golem.com.usage.vector',
  /** Agora's grant of outbound network to a container (the provider's allowContainerNetwork must agree). */
  network: 'agora.srv.net.inet'
} as const

export const USAGE_DURATION_SEC = 'golem.usage.duration_sec'
export const USAGE_CPU_SEC = 'golem.usage.cpu_sec'
export const USAGE_PEAK_MEMORY_GIB = 'golem.usage.gib'

export const DEFAULT_USAGE_VECTOR = [USAGE_DURATION_SEC, USAGE_CPU_SEC]

export interface ActivityResources {
  runtimeName: string
  taskPackage: string
  memoryBytes: number
  threads: number
  /** Disk the activity's directories may take (golem.inf.storage.gib, or the provider's default). */
  storageBytes: number
  network: boolean
  pidsLimit: number
  runTimeoutMs: number
  usageVector: string[]
}

const GIB = 1024 ** 3

/** Reads flat (dotted keys) or nested properties, or a mix of both. */
export function readResources(input: Record<string, unknown>, limits: ExeUnitLimits): ActivityResources {
  const properties = flattenProperties(input)
  const runtimeName = requireString(properties, PROP.runtimeName)
  const taskPackage = requireString(properties, PROP.taskPackage)
  const memoryGib = optionalNumber(properties, PROP.memoryGib) ?? limits.defaultMemoryGib
  const threads = optionalNumber(properties, PROP.threads) ?? 1
  const storageGib = optionalNumber(properties, PROP.storageGib) ?? limits.defaultStorageGib
  if (!Number.isInteger(threads)) bad(PROP.threads, 'must be a whole number')
  return {
    runtimeName,
    taskPackage,
    memoryBytes: Math.floor(memoryGib * GIB),
    threads,
    storageBytes: Math.floor(storageGib * GIB),
    network: properties[PROP.network] === true,
    pidsLimit: limits.pidsLimit,
    runTimeoutMs: limits.runTimeoutMs,
    usageVector: readUsageVector(properties[PROP.usageVector])
  }
}

function readUsageVector(value: unknown): string[] {
  if (value === undefined || value === null) return DEFAULT_USAGE_VECTOR
  // Flat property sets sometimes carry lists as JSON text.
  let list = value
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value)
    } catch {
      bad(PROP.usageVector, 'must be a list of counter names')
    }
  }
  if (!Array.isArray(list) || !list.every(name => typeof name === 'string') || list.length > 32) {
    bad(PROP.usageVector, 'must be a list of at most 32 counter names')
  }
  return list as string[]
}

function requireString(properties: Record<string, unknown>, name: string): string {
  const value = properties[name]
  if (typeof value !== 'string' || value === '') bad(name, 'must be a non-empty string')
  return value
}

function optionalNumber(properties: Record<string, unknown>, name: string): number | undefined {
  const value = properties[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) bad(name, 'must be a positive number')
  return value
}

function bad(name: string, problem: string): never {
  throw new ExeUnitError('BadRequest', `property ${name} ${problem}`)
}

/** {"golem":{"inf":{"mem":{"gib":1}}}} → {"golem.inf.mem.gib":1}; lists and scalars are leaves. */
export function flattenProperties(input: Record<string, unknown>, prefix = '', depth = 0): Record<string, unknown> {
  if (depth > 16) throw new ExeUnitError('BadRequest', 'properties are nested too deeply')
  const flat: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    const name = prefix === '' ? key : `${prefix}.${key}`
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(flat, flattenProperties(value as Record<string, unknown>, name, depth + 1))
    } else {
      flat[name] = value
    }
  }
  return flat
}
