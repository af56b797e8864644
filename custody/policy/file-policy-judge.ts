// The owner's policies, one file per dataset under <dataDir>/custody/policies,
// in force as soon as they are written: the directory is watched and a
// changed file read again. A file that fails its checks leaves the last good
// policy of its dataset in force (or none); both outcomes go to the audit log
// (policy-loaded with the file's sha3, policy-rejected with what was wrong)
// before they take effect.
import { mkdir, open, readdir } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { CodedError, silentLogger, systemClock } from '../../net/kernel.ts'
import type { Clock, Logger, NodeId } from '../../net/kernel.ts'
import type { AuditSink, DatasetPolicy, PolicyDecision, PolicyJudge, UseRequest } from '../model.ts'
import { DirWatch } from './policy-dir-watch.ts'
import { datasetOfFile, MAX_POLICY_BYTES, parsePolicy, sha3Of } from './policy-text.ts'
import { judge, noPolicy } from './rules.ts'
import { policySummary } from './summary.ts'
import { UseCounts } from './use-counts.ts'
import type { CountStore } from './use-counts.ts'

export interface FilePolicyJudgeComponents {
  /** The policies directory: <dataDir>/custody/policies. */
  readonly dir: string
  /** Where uses are counted (a sublevel of the custody module's). */
  readonly uses: CountStore
  readonly audit?: AuditSink
  readonly clock?: Clock
  readonly logger?: Logger
  /** How long a file's events must settle before it is read (default 50 ms). */
  readonly debounceMs?: number
}

interface InForce {
  readonly policy: DatasetPolicy
  readonly sha3: string
}

export class FilePolicyJudge implements PolicyJudge {
  readonly #c: FilePolicyJudgeComponents
  readonly #log: Logger
  readonly #uses: UseCounts
  readonly #inForce = new Map<string, InForce>()
  /** The sha3 of each file last read, good or bad, so that an unchanged file is not read twice. */
  readonly #seen = new Map<string, string>()
  readonly #listeners = new Set<(dataset: string) => void>()
  readonly #watch: DirWatch
  /** Files are read one at a time, in the order their changes settled. */
  #reading: Promise<void> = Promise.resolve()

  constructor(components: FilePolicyJudgeComponents) {
    this.#c = components
    this.#log = components.logger ?? silentLogger
    this.#uses = new UseCounts(components.uses)
    this.#watch = new DirWatch({
      dir: components.dir,
      clock: components.clock ?? systemClock,
      debounceMs: components.debounceMs ?? 50,
      logger: this.#log,
      onSettled: fileName => void this.#enqueue(fileName)
    })
  }

  get dir(): string {
    return this.#c.dir
  }

  /** Where the policy of `dataset` is (or would be) kept. */
  fileOf(dataset: string): string {
    return join(this.#c.dir, `${dataset}.json`)
  }

  async start(): Promise<void> {
    await mkdir(this.#c.dir, { recursive: true })
    await this.#uses.load()
    // Watching first: a file written while the others are read is not missed.
    this.#watch.start()
    await this.#enqueue(null)
  }

  async stop(): Promise<void> {
    this.#watch.stop()
    await this.#reading
  }

  /** Reads every policy file again now (as a change would); resolves once done. */
  async reload(): Promise<void> {
    await this.#enqueue(null)
  }

  policy(dataset: string): DatasetPolicy | null {
    return this.#inForce.get(dataset)?.policy ?? null
  }

  /** The sha3 of the policy file in force, or null. */
  policySha3(dataset: string): string | null {
    return this.#inForce.get(dataset)?.sha3 ?? null
  }

  /** The datasets that have a policy in force. */
  datasets(): string[] {
    return [...this.#inForce.keys()].sort()
  }

  decide(request: UseRequest): PolicyDecision {
    const policy = this.policy(request.dataset)
    if (policy === null) return noPolicy(request.dataset)
    return judge(policy, request, this.#uses.of(request.dataset, request.requesterId))
  }

  async recordUse(dataset: string, requesterId: NodeId): Promise<void> {
    await this.#uses.record(dataset, requesterId)
  }

  summary(dataset: string): string {
    return policySummary(this.policy(dataset))
  }

  onChange(listener: (dataset: string) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #enqueue(fileName: string | null): Promise<void> {
    const next = this.#reading.then(async () => {
      const names = fileName === null ? await this.#fileNames() : [fileName]
      for (const name of names) {
        const dataset = datasetOfFile(name)
        if (dataset !== null) await this.#read(dataset).catch(err => this.#log.error({ err, dataset }, 'a policy file could not be taken in'))
      }
    })
    this.#reading = next.catch(() => {})
    return next
  }

  /** Every file's name, and the datasets in force (a file removed while the watcher was not looking). */
  async #fileNames(): Promise<string[]> {
    const names = new Set(await readdir(this.#c.dir).catch(() => []))
    for (const dataset of this.#inForce.keys()) names.add(`${dataset}.json`)
    return [...names]
  }

  async #read(dataset: string): Promise<void> {
    const file = this.fileOf(dataset)
    const bytes = await readBounded(file)
    if (bytes === null) {
      this.#seen.delete(dataset)
      if (!this.#inForce.has(dataset)) return
      await this.#c.audit?.append({ kind: 'policy-removed', dataset, detail: { file } })
      this.#inForce.delete(dataset)
      this.#log.info({ dataset, file }, 'a policy was removed: every use of its dataset is refused')
      this.#changed(dataset)
      return
    }
    const sha3 = sha3Of(bytes)
    if (this.#seen.get(dataset) === sha3) return
    let policy: DatasetPolicy
    try {
      policy = parsePolicy(bytes, dataset)
    } catch (err) {
      const message = err instanceof CodedError ? err.message : 'the policy could not be read'
      const kept = this.#inForce.get(dataset)?.sha3 ?? null
      await this.#c.audit?.append({ kind: 'policy-rejected', dataset, allow: false, detail: { file, sha3, error: message, kept } })
      this.#seen.set(dataset, sha3)
      this.#log.warn(
        { dataset, file, error: message },
        kept === null ? 'a policy was refused: the dataset has none in force' : 'a policy was refused: the last good one stays in force'
      )
      this.#changed(dataset)
      return
    }
    await this.#c.audit?.append({ kind: 'policy-loaded', dataset, detail: { file, sha3 } })
    this.#seen.set(dataset, sha3)
    this.#inForce.set(dataset, { policy, sha3 })
    this.#log.info({ dataset, file, sha3 }, 'a policy is in force')
    this.#changed(dataset)
  }

  #changed(dataset: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(dataset)
      } catch (err) {
        this.#log.warn({ err, dataset }, 'a policy listener failed')
      }
    }
  }
}

/** The file's bytes (at most one past the limit, so that parsing refuses it), or null when it is absent. */
async function readBounded(file: string): Promise<Uint8Array | null> {
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
  try {
    const buffer = Buffer.alloc(Math.min((await handle.stat()).size, MAX_POLICY_BYTES + 1))
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
