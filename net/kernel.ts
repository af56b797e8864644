// The net module's second, small entry: the kernels that every module, the
// daemon's config loading and the CLI share (the error vocabulary, change
// signals, long-poll queues, a deadline for one operation, loading stored
// records, a node's public identity read from its keystore without decrypting
// it, the silent logger and the system clock every component defaults to). It
// loads nothing heavy: no libp2p host, no ethers, no schema compiler (that is
// net/schema/index.ts). Everything here is also exported by net/index.ts;
// import it from here where a caller must start fast (the CLI) or must not
// pull in the network.
export {
  CodedError,
  ERROR_CODES,
  isErrorCode,
  statusOf,
  isPeerVisible,
  codeFromPeer,
  newCorrelationId,
  internalErrorText,
  codedSystemError
} from './errors/index.ts'
export type { ErrorCode, ErrorCodeInfo } from './errors/index.ts'
export type { NodeId } from './identity/node-id.ts'
export { SchemaError } from './schema/schema-error.ts'
export { LongPollQueue, QueueClosedError } from './events/long-poll-queue.ts'
export { ChangeSignal } from './events/change-signal.ts'
export type { WaitTimers } from './events/change-signal.ts'
export { deadlineSignal, withinTime } from './events/deadline.ts'
export type { Deadline } from './events/deadline.ts'
export { InOrderRelease } from './events/in-order-release.ts'
export type { ReleaseTicket } from './events/in-order-release.ts'
export { loadEach, quarantine, QUARANTINE_PREFIX } from './store/load-each.ts'
export type { BadRecord, LoadEachOptions, RawRecordStore } from './store/load-each.ts'
export { isDiskFull } from './store/disk-full.ts'
export { writeFileAtomic } from './store/atomic-file.ts'
export { readPublicIdentity } from './identity/public-identity.ts'
export type { PublicIdentity } from './identity/public-identity.ts'
export { silentLogger } from './logging/logger.ts'
export type { Logger, LogFn } from './logging/logger.ts'
export { systemClock } from './outbox/clock.ts'
export type { Clock, TimerHandle } from './outbox/clock.ts'
