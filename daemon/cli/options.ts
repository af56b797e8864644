// Option specs shared by commands: plain data, so that help and usage errors
// need nothing else loaded.
import type { OptionSpec } from './usage.ts'

/** Options every command takes: where the node's data and config are. */
export const DATA_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'DIR', description: 'data dir (default $AGORA_DATA_DIR or ~/.local/share/agora)' },
  config: { type: 'string', value: 'FILE', description: 'config file (default <data dir>/config.json)' }
}

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print JSON' }
}

export const SERVICE_OPTIONS: Record<string, OptionSpec> = {
  ...DATA_OPTIONS,
  'api-addr': { type: 'string', value: 'HOST:PORT', description: 'REST API address (default 127.0.0.1:7465; port 0 picks one)' },
  listen: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'libp2p listen address (default /ip4/0.0.0.0/tcp/7464)' },
  bootstrap: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'peer to join the network through' },
  'log-level': { type: 'string', value: 'LEVEL', description: 'fatal, error, warn, info (default), debug, trace or silent' },
  provider: { type: 'boolean', description: "offer this node's resources: publish the provider presets' offers (modules.provider.offer)" }
}

export const CHAIN_DEV_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'DIR', description: "the chain's directory: state, deployment record, network file (default <data dir>/dev-chain)" },
  port: { type: 'string', value: 'N', description: 'JSON-RPC port on 127.0.0.1 (default: the last one if free, else one the system picks)' },
  'block-time': { type: 'string', value: 'S', description: 'mine a block every S seconds (default: one block per transaction)' },
  ...JSON_OPTION
}

/** Options of the commands that ask a running daemon about payments. */
export const PAYMENT_OPTIONS: Record<string, OptionSpec> = { ...DATA_OPTIONS, ...JSON_OPTION }
