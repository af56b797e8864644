// The net module's facade: node identity, signed envelopes, and (below) the
// libp2p host, request/response protocols and broadcast.
export { NodeKey } from './identity/node-key.ts'
export { parseNodeId, nodeIdFromPeerId, nodeIdFromPublicKey, peerIdFromNodeKey } from './identity/node-id.ts'
export type { NodeId } from './identity/node-id.ts'
export { loadOrCreateNodeKey, decryptNodeKey, saveNodeKey, walletOf } from './identity/keystore.ts'
export type { KeystoreOptions } from './identity/keystore.ts'
export { canonicalJson } from './envelope/canonical-json.ts'
export type { JsonValue } from './envelope/canonical-json.ts'
export { signEnvelope, verifyEnvelope, verifyEnvelopeSigner, openEnvelope, EnvelopeError, ENVELOPE_VERSION } from './envelope/envelope.ts'
export type { SignedEnvelope } from './envelope/envelope.ts'
export { validator, SchemaError } from './schema/validator.ts'
export type { Validator } from './schema/validator.ts'
