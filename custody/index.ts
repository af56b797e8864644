// The custody module's facade: datasets and their descriptors, owner policies
// and their decisions, the audit log, output guards, secure aggregation
// between owners, differential privacy and workflows across sites.
export type * from './model.ts'
export { DATA_PROPERTY } from './properties.ts'
export { rowFingerprint, hasFingerprint, MIN_FINGERPRINT_BYTES } from './fingerprint.ts'
export * from './workflow/index.ts'
export { OutputGuard, MAX_JSON_BYTES, JSON_KINDS } from './guards/index.ts'
export type { GuardContext, GuardOptions, ReleasedOutput, JsonKind } from './guards/index.ts'
export { CustodyGrants } from './grants/index.ts'
export type { ActivityCustodyOptions } from './grants/index.ts'
export { FilePolicyJudge } from './policy/file-policy-judge.ts'
export type { FilePolicyJudgeComponents } from './policy/file-policy-judge.ts'
export { algorithmHashOf } from './policy/algorithm-hash.ts'
export { signManifest, checkManifest, manifestFromProperty, MANIFEST_TYPE } from './policy/manifest.ts'
export type { ManifestFields, ManifestCheck } from './policy/manifest.ts'
export { POLICY_JSON_SCHEMA, DatasetPolicySchema, AlgorithmManifestSchema, DATASET_NAME_PATTERN } from './policy/schema.ts'
export { policyTemplate } from './policy/template.ts'
export { policySummary } from './policy/summary.ts'
export { AuditLog } from './audit/audit-log.ts'
export type { AuditDb, AuditFilter, AuditLogComponents } from './audit/audit-log.ts'
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
export {
  noise,
  noiseParameters,
  openPrivacyLedger,
  PrivacyBudgetError,
  EPSILON_BUDGET_RULE,
  cryptoRandom,
  MAX_NOISE_LENGTH,
  MAX_FRACTIONAL_BITS
} from './privacy/index.ts'
export type { NoiseParameters, PrivacyLedgerComponents, RandomSource, Rational } from './privacy/index.ts'
export {
  SecaggAggregator,
  SecaggOwner,
  SecaggClient,
  OwnerSession,
  SECAGG_PROTOCOL,
  SECAGG_URL_SCHEME,
  DEFAULT_FRACTIONAL_BITS,
  encodeFixed,
  decodeSigned,
  fixedToNumber,
  DEFAULT_ROUND_TIMEOUT_MS,
  MAX_PARTICIPANTS,
  MAX_VECTOR_LENGTH,
  parseSessionUrl,
  sessionUrl
} from './secagg/index.ts'
export type {
  AggregatorOptions,
  SessionRequest,
  SessionView,
  SessionState,
  UnmaskRecord,
  ContributorOptions,
  NoiseSource,
  SessionTerms
} from './secagg/index.ts'
