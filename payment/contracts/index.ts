export { type ContractArtifact, escrowArtifact, payoutsArtifact, testTokenArtifact } from './artifacts.ts'
export { batchIdOf, documentsHashOf, MAX_BATCH, type Payout, packPayment, unpackPayment } from './payout-batch.ts'
export { compactSignature, type DepositKey, depositIdOf, escrowDomain, VOUCHER_TYPES, type Voucher, voucherDigest } from './voucher.ts'
export { attach, type DeployedContracts, deployArtifact, deployContracts } from './deploy.ts'
