// One activity's grant of a dataset: what the exe-unit asks before a file of
// /out leaves (the output guard), the hand-over of a vector to secure
// aggregation (ε spent first when the policy adds noise), and the runs, for
// the owner's audit log.
import { CodedError } from '../../net/kernel.ts'
import type { Logger } from '../../net/kernel.ts'
import type { CustodyGrant, OutputFile } from '../../exe-unit/index.ts'
import type { OutputGuard } from '../guards/index.ts'
import type { AuditInput, AuditSink, DatasetPolicy, DatasetRecord, PrivacyLedger, SecaggContributor } from '../model.ts'

export interface GrantOptions {
  readonly dataset: DatasetRecord
  readonly policy: DatasetPolicy
  readonly guard: OutputGuard
  readonly audit: AuditSink
  readonly context: { readonly requesterId: string; readonly agreementId: string; readonly activityId: string }
  readonly ledger?: PrivacyLedger
  readonly secagg?: SecaggContributor
  readonly logger: Logger
}

export class DatasetGrant implements CustodyGrant {
  readonly dataset: string
  readonly dataDir: string
  readonly logs: 'none' | 'full'
  readonly exitCodes: 'status' | 'full'
  readonly #options: GrantOptions
  /** Audit writes of runs, in order; close waits for them. */
  #audits: Promise<void> = Promise.resolve()
  #closed = false

  constructor(options: GrantOptions) {
    this.#options = options
    this.dataset = options.dataset.name
    this.dataDir = options.dataset.dir
    this.logs = options.policy.output.logs
    this.exitCodes = options.policy.output.exitCodes
  }

  async release(file: OutputFile, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    await this.#options.guard.check(file)
  }

  async contribute(file: OutputFile, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const { secagg, ledger, policy, context, dataset } = this.#options
    if (secagg === undefined) throw new CodedError('Unavailable', 'secure aggregation is not available on this provider')
    const { values } = await this.#options.guard.check(file, { toSecagg: true })
    if (values === undefined) throw new CodedError('Forbidden', 'a secure aggregation takes a vector result')
    const { privacy } = policy
    if (privacy !== undefined) {
      if (ledger === undefined) throw new CodedError('Unavailable', 'the privacy ledger is not available on this provider')
      await ledger.spend(dataset.name, privacy.epsilonPerQuery, privacy.epsilonBudget, { requesterId: context.requesterId, agreementId: context.agreementId })
    }
    await secagg.contribute({
      url: file.destination,
      requesterId: context.requesterId,
      dataset: dataset.name,
      values,
      ...(privacy === undefined ? {} : { noise: privacy }),
      signal
    })
    await this.#append({ kind: 'contribution', detail: { file: file.containerPath, destination: file.destination, length: values.length } })
  }

  recordRun(run: { command: string; exitCode: number }): void {
    const entry: Omit<AuditInput, 'dataset' | 'requesterId' | 'agreementId' | 'activityId'> = {
      kind: 'run',
      detail: { command: run.command.slice(0, 256), exitCode: run.exitCode }
    }
    this.#audits = this.#audits.then(async () => {
      await this.#append(entry).catch((err: unknown) => this.#options.logger.warn({ err }, 'could not audit a run'))
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#audits
  }

  async #append(entry: Omit<AuditInput, 'dataset' | 'requesterId' | 'agreementId' | 'activityId'>): Promise<void> {
    const { context, dataset } = this.#options
    await this.#options.audit.append({ ...entry, dataset: dataset.name, ...context })
  }
}
