// The custody module's workflow parts, wired in a few lines of the module:
// as an owner, the release desk answering /agora/custody/release/1 from the
// policies in force; as a requester, the workflow desk with its routes.
import type { Clock } from '../../net/index.ts'
import { ReleaseDesk, WorkflowDesk } from '../../custody/index.ts'
import type { AuditSink, PolicyJudge, WorkflowRecord, WorkflowRecordStore } from '../../custody/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { ModuleContext } from '../service/module.ts'
import { workflowRoutes } from './workflow-routes.ts'

export const WORKFLOWS_SUBLEVEL = 'workflows'

export interface WorkflowParts {
  readonly clock: Clock
  readonly policies: () => PolicyJudge | undefined
  readonly audit: () => AuditSink | undefined
}

export interface RunningWorkflows {
  readonly workflows: WorkflowDesk
  readonly releases: ReleaseDesk
  readonly routes: ApiRoute[]
  stop(): Promise<void>
}

export async function startWorkflows(context: ModuleContext, parts: WorkflowParts, apiPrefix: string): Promise<RunningWorkflows> {
  const db = context.db.sublevel<string, WorkflowRecord>(WORKFLOWS_SUBLEVEL, { valueEncoding: 'json' })
  const store: WorkflowRecordStore = {
    put: async (key, value) => {
      await db.put(key, value)
    },
    values: () => db.values()
  }
  const workflows = new WorkflowDesk({ nodeId: context.key.nodeId, clock: parts.clock, store, net: context.net, logger: context.logger })
  await workflows.start()
  const releases = new ReleaseDesk({ key: context.key, clock: parts.clock, policies: parts.policies, audit: parts.audit })
  await releases.start(context.net)
  return {
    workflows,
    releases,
    routes: [{ prefix: `${apiPrefix}/workflows`, plugin: workflowRoutes(workflows) }],
    stop: async () => {
      await releases.stop(context.net)
    }
  }
}
