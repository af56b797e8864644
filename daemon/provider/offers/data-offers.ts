// The datasets the offers carry: each registered dataset's descriptor with
// the policy line of its owner's policy, replaced when a dataset is added or
// removed and when a policy changes.
import { descriptorOf } from '../../../custody/index.ts'
import type { DatasetCatalog, PolicyJudge } from '../../../custody/index.ts'
import type { DataOfferSource } from './offer-keeper.ts'

const NO_POLICY = 'policy: none'

export function dataOfferSource(catalog: DatasetCatalog, policies?: Pick<PolicyJudge, 'summary' | 'onChange'>): DataOfferSource {
  return {
    descriptors: () => catalog.list().map(record => descriptorOf(record, policies?.summary(record.name) ?? NO_POLICY)),
    onChange: listener => {
      const stopCatalog = catalog.onChange(listener)
      const stopPolicies = policies?.onChange(() => listener())
      return () => {
        stopCatalog()
        stopPolicies?.()
      }
    }
  }
}
