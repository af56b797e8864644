// The one interface every runtime implements (WASI modules, containers), and
// what an activity hands a runtime when creating it.
import { CodedError } from '../../net/index.ts'
import type { Clock, Logger } from '../../net/index.ts'
import type { ActivityResources } from '../properties.ts'
import type { PackageSource } from './package-store.ts'

export interface OutputSinks {
  stdout: (chunk: Uint8Array) => void
  stderr: (chunk: Uint8Array) => void
}

export interface RunRequest {
  entryPoint: string
  args: string[]
  /** Variables the command sees on top of the runtime's own (already checked against the ExeScript limits). */
  env: Record<string, string>
  /** Wall-clock limit; the command is killed when it passes. */
  timeoutMs: number
}

export interface RunOutcome {
  /** The process's exit code; -1 when it was killed or trapped. */
  exitCode: number
  /** Why the command failed although it ran (timeout, out of memory, trap). */
  failure?: string
}

export interface RuntimeUsage {
  /** CPU seconds used by the workload so far. */
  cpuSec: number
  /** The most memory the workload has held at once, in bytes. */
  peakMemoryBytes: number
}

/** A path inside the workload's file system, mapped to the host directory that backs it. */
export interface HostLocation {
  /** Host directory backing the volume; the path must stay inside it. */
  root: string
  /** Host path of the file. */
  path: string
}

export interface Runtime {
  readonly name: string
  /** Fetches and verifies the image, prepares the sandbox. */
  deploy: (signal: AbortSignal) => Promise<void>
  start: (args: string[], signal: AbortSignal) => Promise<void>
  run: (request: RunRequest, output: OutputSinks, signal: AbortSignal) => Promise<RunOutcome>
  /** Where `container:<path>` lives on the host, or null when outside every volume. */
  hostLocation: (containerPath: string) => HostLocation | null
  /** The usage last measured: cheap however often it is read, as runtimes measure in the background. */
  usage: () => RuntimeUsage
  /** Stops measuring in the background and measures once more (the activity is ending). */
  finalUsage: () => Promise<RuntimeUsage>
  /** Stops everything and removes what was created; safe to call more than once. */
  terminate: () => Promise<void>
}

export interface RuntimeContext {
  activityId: string
  agreementId: string
  nodeId: string
  /** The activity's own directory on the host; runtimes create volumes inside it. */
  activityDir: string
  taskPackage: string
  resources: ActivityResources
  /** The package store as this activity sees it (its requester's offered files). */
  packages: PackageSource
  /** Schedules the background usage measurements. */
  clock: Clock
  logger: Logger
  /** Time between the end of one usage measurement and the start of the next. */
  usageSampleMs: number
  /** A dataset granted by data custody: mounted read-only at /data, with /out for the results and no network. */
  custody?: { dataDir: string }
}

export interface RuntimeFactory {
  /** The golem.runtime.name this factory serves (e.g. "wasmtime", "vm"). */
  readonly name: string
  /** Properties an offer for this runtime carries beyond golem.runtime.name. */
  readonly offerProperties?: Record<string, unknown>
  create: (context: RuntimeContext) => Runtime
  /** Removes what a previous process left behind after a crash (also for a runtime that first answers after the start). */
  recover?: () => Promise<void>
  /** Whether it answers now, cheaply (the Docker engine's ping); throws when it does not. */
  probe?: () => Promise<void>
  /** Brings back a runtime that answered and then stopped answering; touches nothing of its live activities. */
  reconnect?: () => Promise<void>
  close?: () => Promise<void>
}

/** The runtime can no longer be reached (the container vanished, the engine stopped). */
export class RuntimeLostError extends CodedError<'Unavailable'> {
  override name = 'RuntimeLostError'

  constructor(message: string, options?: ErrorOptions) {
    super('Unavailable', message, options)
  }
}
