// The net module's facade: node identity, signed envelopes, and (below) the
// libp2p host, request/response protocols, broadcast and the durable outbox.
export { NodeKey } from './identity/node-key.ts'
export { parseNodeId, nodeIdFromPeerId, nodeIdFromPublicKey, peerIdFromNodeKey, NodeIdText } from './identity/node-id.ts'
export type { NodeId } from './identity/node-id.ts'
export { loadOrCreateNodeKey, decryptNodeKey, saveNodeKey, walletOf } from './identity/keystore.ts'
export type { KeystoreOptions } from './identity/keystore.ts'
export { canonicalJson } from './envelope/canonical-json.ts'
export type { JsonValue } from './envelope/canonical-json.ts'
export { signEnvelope, verifyEnvelope, verifyEnvelopeSigner, openEnvelope, EnvelopeError, ENVELOPE_VERSION } from './envelope/envelope.ts'
export type { SignedEnvelope } from './envelope/envelope.ts'
export { SignedEnvelopeSchema } from './envelope/envelope-schema.ts'
// The kernels (errors, validation, signals, queues, loading stored records): kept in one place.
export * from './kernel.ts'
export * from './schema/index.ts'
export { silentLogger } from './logging/logger.ts'
export type { Logger, LogFn } from './logging/logger.ts'
export { DEFAULT_GOSSIP_BOUNDS, NetHost } from './host/net-host.ts'
export type { GossipBounds, NetHostInit, NetHostEvents, FindNodeOptions } from './host/net-host.ts'
export { DEFAULT_RELAY_LIMITS } from './host/libp2p-options.ts'
export type { NatOptions, RelayLimits } from './host/libp2p-options.ts'
export type { Reachability, ReachabilityStatus } from './host/reachability.ts'
export { defineProtocol } from './protocol/definition.ts'
export type { ProtocolDefinition } from './protocol/definition.ts'
export type { RequestHandler, RequestContext, RequestOptions, InboundLimits } from './protocol/request-response.ts'
export { NetError, RemoteError, HandlerError, peerAnswerOf } from './protocol/errors.ts'
export type { NetErrorCode } from './protocol/errors.ts'
export { Broadcast } from './broadcast/broadcast.ts'
export type { BroadcastEntry, BroadcastEvents, BroadcastOptions, EntryRemoved, EntryRefused, RefusalReason } from './broadcast/broadcast.ts'
export { BroadcastError } from './broadcast/errors.ts'
export type { BroadcastErrorCode } from './broadcast/errors.ts'
export { entryMessageBytes, gossipTopicOf } from './broadcast/topic.ts'
export type { TopicDefinition } from './broadcast/topic.ts'
export { PeerGuard } from './peers/peer-guard.ts'
export type { PeerGuardOptions, PeerStats, ViolationKind, PeerBannedDetail } from './peers/peer-guard.ts'
export { NodeDirectory } from './peers/node-directory.ts'
// The guard and broadcasts need only the time (the outbox's Clock, with timers, fits as well).
export { ManualClock } from './peers/clock.ts'
export type { ByteBudget } from './peers/byte-budgets.ts'
export { Outbox, messageIdOf } from './outbox/outbox.ts'
export type {
  OutboxOptions,
  OutboxEvents,
  OutboxHost,
  OutboxLogger,
  OutboxMessageInfo,
  DeliveryOutcome,
  AttemptOutcome,
  ReceiveHandler,
  SettleHandler
} from './outbox/outbox.ts'
export { OutboxError, MessageRefused } from './outbox/errors.ts'
export { refusingFinally } from './outbox/refusing-finally.ts'
export { outboxProtocol } from './outbox/outbox-protocol.ts'
export type { OutboxProtocol, OutboxRequest, OutboxResponse } from './outbox/outbox-protocol.ts'
export type { OutboxErrorCode } from './outbox/errors.ts'
export type { OutboxDb, StoreOp, PendingRecord } from './outbox/outbox-store.ts'
export { systemClock } from './outbox/clock.ts'
export type { Clock, TimerHandle } from './outbox/clock.ts'
export { backoffDelay } from './outbox/backoff.ts'
