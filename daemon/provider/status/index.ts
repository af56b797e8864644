// The provider agent's status, as the API and `agora provider status` show it.
export { providerStatus } from './provider-status.ts'
export type { ProviderStatusView, StatusSources } from './provider-status.ts'
export { earningsOf } from './earnings.ts'
export type { AgreementEarnings } from './earnings.ts'
