// The error vocabulary: codes, the coded error and correlation ids.
// Free of libp2p, so light modules may import it.
export { ERROR_CODES, isErrorCode, statusOf, isPeerVisible, codeFromPeer } from './codes.ts'
export type { ErrorCode, ErrorCodeInfo } from './codes.ts'
export { CodedError } from './coded-error.ts'
export { newCorrelationId, internalErrorText } from './correlation.ts'
export { codedSystemError } from './system.ts'
