// The payment module's second, small entry: the dev network that `agora chain
// dev` runs (the dev chain, the contracts deployed once, the network file). It
// loads no libp2p host and none of the payment flow, so the command starts
// fast. Everything here is also exported by payment/index.ts.
export { DevNetwork, devNetworkPaths } from './chain/dev-network.ts'
export type { DevNetworkComponents, DevNetworkInit, DevNetworkPaths, DevNetworkStarted } from './chain/dev-network.ts'
