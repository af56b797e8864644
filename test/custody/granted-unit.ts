// A real exe-unit whose activities on a dataset are granted by the real
// CustodyGrants over the small catalog, judge and audit of helpers.ts, with a
// file server for task packages and an in-memory requester channel.
import { rm } from 'node:fs/promises'
import { CustodyGrants } from '../../custody/index.ts'
import type { DatasetPolicy, DatasetRecord } from '../../custody/index.ts'
import type { ActivityCustody, ExeUnitOptions } from '../../exe-unit/index.ts'
import { MemoryRequesterFiles, publishModule, sha3, startExeUnit, startFileServer, tempDir, uniqueId, wasmProperties } from '../exe-unit/helpers.ts'
import type { FileServer, TestExeUnit } from '../exe-unit/helpers.ts'
import { TestAudit, TestCatalog, TestContributor, TestJudge, TestLedger, csvDataset } from './helpers.ts'

/** 12 rows, every line long enough to be fingerprinted. */
export const PATIENTS_CSV = `id,age,diagnosis,postcode\n${Array.from({ length: 12 }, (_, i) => `${1000 + i},${30 + i},condition-${i % 3},SW1A ${i}AA`).join(
  '\n'
)}\n`

export interface GrantedUnit {
  unit: TestExeUnit
  server: FileServer
  requester: MemoryRequesterFiles
  catalog: TestCatalog
  judge: TestJudge
  audit: TestAudit
  contributor: TestContributor
  ledger: TestLedger
  dataset: DatasetRecord
  /** Publishes a module and approves its hash in the dataset's policy (with these output rules). */
  approve: (name: string, bytes: Buffer, policy?: (hash: string) => DatasetPolicy) => Promise<string>
  /** Creates an activity naming the dataset; returns its id. */
  create: (taskPackage: string, extra?: Record<string, unknown>) => Promise<string>
  close: () => Promise<void>
}

export async function startGrantedUnit(
  policyFor: (dataset: string, hash: string) => DatasetPolicy,
  options: Partial<ExeUnitOptions> = {},
  wrap: (custody: ActivityCustody) => ActivityCustody = custody => custody
): Promise<GrantedUnit> {
  const root = await tempDir()
  const dataset = await csvDataset(root, 'patients', PATIENTS_CSV)
  const catalog = new TestCatalog()
  catalog.add(dataset)
  const judge = new TestJudge()
  const audit = new TestAudit()
  const contributor = new TestContributor()
  const ledger = new TestLedger()
  const custody = new CustodyGrants({ catalog, judge, audit, ledger, secagg: contributor })
  const requester = new MemoryRequesterFiles()
  const server = await startFileServer()
  const unit = await startExeUnit({ custody: wrap(custody), requesterFiles: requester, ...options })
  return {
    unit,
    server,
    requester,
    catalog,
    judge,
    audit,
    contributor,
    ledger,
    dataset,
    approve: async (name, bytes, policy) => {
      const taskPackage = await publishModule(server, name, bytes)
      const hash = `sha3:${sha3(bytes)}`
      judge.policies.set(dataset.name, policy === undefined ? policyFor(dataset.name, hash) : policy(hash))
      return taskPackage
    },
    create: async (taskPackage, extra = {}) => {
      const activityId = uniqueId('granted')
      await unit.exeUnit.createActivity({
        activityId,
        agreementId: `ag-${activityId}`,
        requesterId: 'requester-1',
        properties: wasmProperties(taskPackage, { 'agora.data.name': dataset.name, ...extra })
      })
      return activityId
    },
    close: async () => {
      await unit.close()
      await server.close()
      await rm(root, { recursive: true, force: true })
    }
  }
}
