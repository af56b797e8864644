// The requester SDK's facade: connect to a requester daemon over its REST API,
// rent providers, run commands, pools and the task executor, exact budgets,
// federated runs over owners' datasets (in the clear or by secure aggregation).
// It reaches the daemon through the REST API alone.
export * from './errors.ts'
export type * from './types.ts'
export type { ApiClient, ApiRequest, AgreementView } from './client/api-client.ts'
export { createRentalPool } from './pool/index.ts'
export type { RentFn } from './pool/index.ts'
export { createExecutor } from './executor/index.ts'
export { federated, openFederation, parsePartial, sumPartials, federatedMean, federatedHistogram, trainLogisticRegression } from './federated/index.ts'
export type {
  StatisticAggregate,
  StatisticOptions,
  MeanResult,
  HistogramOptions,
  HistogramResult,
  LogisticRegressionOptions,
  LogisticRegressionResult
} from './federated/index.ts'
export { onInterrupt } from './signals.ts'
export { rentReportOf } from './rental/failed-rent.ts'
export type { Closable, InterruptHandle, InterruptOptions } from './signals.ts'
export { connect, DEFAULT_API_URL } from './connect.ts'
export type { ConnectComponents } from './connect.ts'
export * from './workflow/index.ts'
