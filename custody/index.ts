// The custody module's facade: datasets and their descriptors, owner policies
// and their decisions, the audit log, output guards, secure aggregation
// between owners, differential privacy and workflows across sites.
export type * from './model.ts'
export { DATA_PROPERTY } from './properties.ts'
export { rowFingerprint, hasFingerprint, MIN_FINGERPRINT_BYTES } from './fingerprint.ts'
export * from './workflow/index.ts'
