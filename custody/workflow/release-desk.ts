// The owner's daemon answers /agora/custody/release/1 for its own datasets:
// each decision from the dataset's policy in force (release.to, requesters),
// audited (kind "decision", with the workflow, step, output and destination),
// and signed by the node key.
import type { Clock, NetHost, NodeKey, SignedEnvelope } from '../../net/index.ts'
import type { AuditSink, PolicyJudge } from '../model.ts'
import { RELEASE_PROTOCOL } from './release-protocol.ts'
import { decideRelease, signReleaseDecision } from './release.ts'
import type { ReleaseDecision, ReleaseQuestion } from './release.ts'

export interface ReleaseDeskComponents {
  readonly key: NodeKey
  readonly clock: Clock
  /** The policies in force; undefined while none are loaded (every release is then refused). */
  readonly policies: () => PolicyJudge | undefined
  /** The owner's audit log; undefined where the daemon keeps none. */
  readonly audit: () => AuditSink | undefined
}

export class ReleaseDesk {
  readonly #components: ReleaseDeskComponents

  constructor(components: ReleaseDeskComponents) {
    this.#components = components
  }

  async decide(question: ReleaseQuestion): Promise<SignedEnvelope<ReleaseDecision>> {
    const { key, clock } = this.#components
    const policy = this.#components.policies()?.policy(question.dataset) ?? null
    const decision = decideRelease(policy, question, key.nodeId)
    await this.#components.audit()?.append({
      kind: 'decision',
      dataset: question.dataset,
      requesterId: question.requesterId,
      allow: decision.allow,
      reasons: decision.reasons,
      detail: { use: 'intermediate-release', workflowId: question.workflowId, step: question.step, output: question.output, destination: question.destination }
    })
    return signReleaseDecision(key, question, decision, new Date(clock.now()).toISOString())
  }

  async start(net: NetHost): Promise<void> {
    await net.handle(RELEASE_PROTOCOL, async (request, context) => {
      const decisions: SignedEnvelope<ReleaseDecision>[] = []
      for (const dataset of [...new Set(request.datasets)]) {
        decisions.push(
          await this.decide({
            workflowId: request.workflowId,
            requesterId: context.from,
            step: request.step,
            output: request.output,
            dataset,
            destination: request.destination
          })
        )
      }
      return { decisions }
    })
  }

  async stop(net: NetHost): Promise<void> {
    await net.unhandle(RELEASE_PROTOCOL)
  }
}
