// The net module's entry for a node's key alone: the key and its keystore,
// without the libp2p host (ethers and libp2p's key crypto only). The CLI shows
// a node's identity through it without starting, or loading, the network.
// Everything here is also exported by net/index.ts.
export { NodeKey } from './node-key.ts'
export { loadOrCreateNodeKey, decryptNodeKey, saveNodeKey } from './keystore.ts'
export type { KeystoreOptions } from './keystore.ts'
export type { NodeId } from './node-id.ts'
