// Federated runs: an algorithm's local step next to every owner's dataset,
// combined in the clear or by secure aggregation, and the statistics and
// training built on them.
export { federated, openFederation } from './federation.ts'
export { parsePartial, sumPartials } from './partials.ts'
export { federatedMean, federatedHistogram } from './statistics.ts'
export { trainLogisticRegression } from './logistic.ts'
export type { StatisticAggregate, StatisticOptions, MeanResult, HistogramOptions, HistogramResult } from './statistics.ts'
export type { LogisticRegressionOptions, LogisticRegressionResult } from './logistic.ts'
