// What the custody module hands the exe-unit: at every activity on a dataset
// the owner's policy is asked again (it may have changed since the
// agreement), the decision is audited and the use counted, and a granted
// activity gets its dataset's grant with the output guard.
import { CodedError, silentLogger, systemClock } from '../../net/kernel.ts'
import type { Clock, Logger } from '../../net/kernel.ts'
import type { ActivityCustody, CustodyAdmission, CustodyGrant } from '../../exe-unit/index.ts'
import { OutputGuard } from '../guards/index.ts'
import type { AlgorithmManifest, AuditSink, DatasetCatalog, PolicyJudge, PolicyReason, PrivacyLedger, SecaggContributor } from '../model.ts'
import { DATA_PROPERTY } from '../properties.ts'
import { algorithmHashOf } from '../policy/algorithm-hash.ts'
import { DatasetGrant } from './dataset-grant.ts'

const TASK_PACKAGE = 'golem.srv.comp.task_package'
const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
/** A manifest larger than this is no manifest. */
const MAX_MANIFEST_CHARS = 16 * 1024

export interface ActivityCustodyOptions {
  readonly catalog: DatasetCatalog
  readonly judge: PolicyJudge
  readonly audit: AuditSink
  readonly ledger?: PrivacyLedger
  readonly secagg?: SecaggContributor
  readonly clock?: Clock
  readonly logger?: Logger
}

export class CustodyGrants implements ActivityCustody {
  readonly #options: ActivityCustodyOptions

  constructor(options: ActivityCustodyOptions) {
    this.#options = options
  }

  async admit(admission: CustodyAdmission): Promise<CustodyGrant | null> {
    const { properties, requesterId, agreementId, activityId } = admission
    const name = properties[DATA_PROPERTY.name]
    if (name === undefined || name === null) return null
    const { catalog, judge, audit } = this.#options
    const context = { requesterId, agreementId, activityId }
    const refuse = async (dataset: string | undefined, reasons: PolicyReason[]): Promise<never> => {
      await audit.append({ kind: 'decision', ...(dataset === undefined ? {} : { dataset }), ...context, allow: false, reasons, detail: { stage: 'activity' } })
      throw new CodedError('Forbidden', reasons.map(reason => reason.message).join('; '))
    }
    if (typeof name !== 'string' || !DATASET_NAME.test(name))
      return await refuse(undefined, [{ rule: 'dataset', message: 'the agreement names no valid dataset' }])
    const dataset = catalog.get(name)
    if (dataset === undefined) return await refuse(name, [{ rule: 'dataset', message: `there is no dataset ${name} here` }])
    const hash = algorithmHashOf(properties[TASK_PACKAGE])
    if (hash === null) {
      return await refuse(name, [
        { rule: 'algorithms', message: 'the task package names no hash (sha3, or an image digest): an algorithm is approved by its hash' }
      ])
    }
    const manifest = readManifest(properties[DATA_PROPERTY.manifest])
    if (manifest === 'invalid') return await refuse(name, [{ rule: 'algorithms.publishers', message: `${DATA_PROPERTY.manifest} is not a manifest` }])
    const decision = judge.decide({
      dataset: name,
      requesterId,
      algorithmHash: hash,
      ...(manifest === undefined ? {} : { manifest }),
      at: (this.#options.clock ?? systemClock).now()
    })
    const policy = judge.policy(name)
    if (!decision.allow || policy === null) {
      return await refuse(name, decision.allow ? [{ rule: 'policy', message: `dataset ${name} has no policy` }] : [...decision.reasons])
    }
    await audit.append({ kind: 'decision', dataset: name, ...context, allow: true, reasons: decision.reasons, detail: { stage: 'activity', algorithm: hash } })
    await judge.recordUse(name, requesterId)
    const guard = new OutputGuard({ dataset, policy, fingerprints: async () => await catalog.rowFingerprints(name), audit, context })
    return new DatasetGrant({
      dataset,
      policy,
      guard,
      audit,
      context,
      logger: this.#options.logger ?? silentLogger,
      ...(this.#options.ledger === undefined ? {} : { ledger: this.#options.ledger }),
      ...(this.#options.secagg === undefined ? {} : { secagg: this.#options.secagg })
    })
  }
}

function readManifest(value: unknown): AlgorithmManifest | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > MAX_MANIFEST_CHARS) return 'invalid'
  try {
    const parsed: unknown = JSON.parse(value)
    // The judge verifies the signature and its fields; here it must only be an object.
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as AlgorithmManifest) : 'invalid'
  } catch {
    return 'invalid'
  }
}
