// The custody module's facade: datasets and their descriptors, owner policies
// and their decisions, the audit log, output guards, secure aggregation
// between owners, differential privacy and workflows across sites.
export type * from './model.ts'
export { DATA_PROPERTY } from './properties.ts'
export { rowFingerprint, hasFingerprint, MIN_FINGERPRINT_BYTES } from './fingerprint.ts'
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
  ContributionInput,
  NoiseSource,
  SessionTerms
} from './secagg/index.ts'
