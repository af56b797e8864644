// The custody module's facade: datasets and their descriptors, owner policies
// and their decisions, the audit log, output guards, secure aggregation
// between owners, differential privacy and workflows across sites.
export type * from './model.ts'
export { DATA_PROPERTY } from './properties.ts'
export { rowFingerprint, hasFingerprint, MIN_FINGERPRINT_BYTES } from './fingerprint.ts'
export * from './workflow/index.ts'
export {
  DatasetRegistry,
  DATASET_NAME,
  TOKEN_AMOUNT,
  checkName,
  DatasetLimitsSchema,
  DEFAULT_DATASET_LIMITS,
  datasetLimitsOf,
  descriptorOf,
  descriptorProperties,
  roundDownToOneDigit,
  CSV_FILE
} from './datasets/index.ts'
export type { DatasetRegistryComponents, AddDatasetRequest, DatasetSource, DatasetLimits, DatasetLimitsConfig } from './datasets/index.ts'
export { OutputGuard, MAX_JSON_BYTES, JSON_KINDS } from './guards/index.ts'
export type { GuardContext, GuardOptions, ReleasedOutput, JsonKind } from './guards/index.ts'
export { CustodyGrants, algorithmHash } from './grants/index.ts'
export type { ActivityCustodyOptions } from './grants/index.ts'
