export { type ContractArtifact, escrowArtifact, payoutsArtifact, testTokenArtifact } from './artifacts.ts'
