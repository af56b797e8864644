// The owner's datasets: the registry (a DatasetCatalog), its importers (CSV,
// a directory tree, a SQLite view), its limits, and the descriptor offers carry.
export { DatasetRegistry } from './dataset-registry.ts'
export type { DatasetRegistryComponents } from './dataset-registry.ts'
export { DATASET_NAME, TOKEN_AMOUNT, checkName } from './dataset-request.ts'
export type { AddDatasetRequest, DatasetSource } from './dataset-request.ts'
export { DatasetLimitsSchema, DEFAULT_DATASET_LIMITS, datasetLimitsOf } from './limits.ts'
export type { DatasetLimits, DatasetLimitsConfig } from './limits.ts'
export { descriptorOf, descriptorProperties, roundDownToOneDigit } from './descriptor.ts'
export { CSV_FILE } from './csv-import.ts'
