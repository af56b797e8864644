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
  announce: {
    type: 'string',
    multiple: true,
    value: 'MULTIADDR',
    description: "an address others reach this node at (a public IP, a forwarded port), announced before AutoNAT confirms one; what a relay's clients are given"
  },
  'log-level': { type: 'string', value: 'LEVEL', description: 'fatal, error, warn, info (default), debug, trace or silent' },
  provider: { type: 'boolean', description: "offer this node's resources: publish the provider presets' offers (modules.provider.offer)" },
  relay: { type: 'boolean', description: 'relay for nodes behind NATs, within fixed limits (net.relay; default off)' },
  upnp: { type: 'boolean', description: 'ask the router for a port mapping by UPnP (net.upnp; default off)' }
}

export const CHAIN_DEV_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'DIR', description: "the chain's directory: state, deployment record, network file (default <data dir>/dev-chain)" },
  port: { type: 'string', value: 'N', description: 'JSON-RPC port on 127.0.0.1 (default: the last one if free, else one the system picks)' },
  'block-time': { type: 'string', value: 'S', description: 'mine a block every S seconds (default: one block per transaction)' },
  ...JSON_OPTION
}

/** Options of `agora dashboard`. */
export const DASHBOARD_OPTIONS: Record<string, OptionSpec> = {
  ...DATA_OPTIONS,
  'app-key': { type: 'string', value: 'NAME', description: "the app-key (name or id) the dashboard acts as (default: the daemon's own)" },
  ...JSON_OPTION
}

/** Options of the commands that ask a running daemon about payments. */
export const PAYMENT_OPTIONS: Record<string, OptionSpec> = { ...DATA_OPTIONS, ...JSON_OPTION }

/** Options of the commands that ask a running daemon about the provider agent. */
export const PROVIDER_OPTIONS: Record<string, OptionSpec> = { ...DATA_OPTIONS, ...JSON_OPTION }

/** A preset's prices, in tokens (golemsp's names). */
export const PRICE_OPTIONS: Record<string, OptionSpec> = {
  'starting-fee': { type: 'string', value: 'TOKENS', description: 'charged once per activity, e.g. 0' },
  'env-per-hour': { type: 'string', value: 'TOKENS', description: 'per hour the activity runs, e.g. 0.02' },
  'cpu-per-hour': { type: 'string', value: 'TOKENS', description: 'per hour of CPU time, e.g. 0.1' }
}

export const PROVIDER_SETTINGS_OPTIONS: Record<string, OptionSpec> = {
  ...PROVIDER_OPTIONS,
  cores: { type: 'string', value: 'N', description: 'CPU threads offered (at most the machine has)' },
  memory: { type: 'string', value: 'GIB', description: 'memory offered, in GiB' },
  disk: { type: 'string', value: 'GIB', description: 'disk offered, in GiB (at most the free disk of the data dir)' },
  ...PRICE_OPTIONS,
  preset: { type: 'string', value: 'NAME', description: 'apply the prices to this preset only (default: every preset)' },
  'max-agreements': { type: 'string', value: 'N', description: 'agreements served at once' },
  'debit-note-interval': { type: 'string', value: 'S|MIN:PREF:MAX', description: 'debit-note interval in seconds: preferred, or the range' },
  'accept-timeout': { type: 'string', value: 'S|MIN:PREF:MAX', description: 'how long a requester has to accept a debit note, in seconds' },
  'payment-timeout': { type: 'string', value: 'S|MIN:PREF:MAX', description: 'how long a requester has to pay an accepted debit note, in seconds' },
  'idle-timeout': { type: 'string', value: 'S', description: 'an agreement with no activity this long is terminated' },
  allow: { type: 'string', multiple: true, value: 'NODE_ID', description: "only these requesters ('none': any requester not denied)" },
  deny: { type: 'string', multiple: true, value: 'NODE_ID', description: "never these requesters ('none': clear the list)" },
  offering: { type: 'string', value: 'on|off', description: "publish the presets' offers, or withdraw them" }
}

/** Options of the commands that ask a running daemon about its datasets. */
export const DATASET_OPTIONS: Record<string, OptionSpec> = { ...DATA_OPTIONS, ...JSON_OPTION }

export const DATASET_ADD_OPTIONS: Record<string, OptionSpec> = {
  ...DATASET_OPTIONS,
  csv: { type: 'string', value: 'FILE', description: 'a CSV file (RFC 4180; its first row names the columns)' },
  dir: { type: 'string', value: 'DIR', description: 'a directory: its regular files are copied (a symlink or device refuses it)' },
  sqlite: { type: 'string', value: 'FILE', description: 'a SQLite database, opened read-only (with --view)' },
  view: { type: 'string', value: 'SQL', description: 'with --sqlite: the one SELECT whose rows are the dataset' },
  description: { type: 'string', value: 'TEXT', description: 'what the dataset holds (offered as agora.data.description)' },
  tag: { type: 'string', multiple: true, value: 'TAG', description: 'a tag (repeatable)' },
  'price-per-use': { type: 'string', value: 'TOKENS', description: "added to every offer's start price (default 0)" },
  'price-per-hour': { type: 'string', value: 'TOKENS', description: "added to every offer's price per hour of activity (default 0)" }
}

/** `agora run`: the job, what it may cost, and the requester daemon it runs on (its REST API, like the SDK). */
export const RUN_OPTIONS: Record<string, OptionSpec> = {
  image: {
    type: 'string',
    value: 'IMAGE',
    description: 'a local .wasm / docker save / GVMI file (served to the provider), docker:<image> on the provider, or hash:sha3:<hex>:<url>'
  },
  runtime: { type: 'string', value: 'NAME', description: 'wasmtime or vm (default: vm for docker:, .tar and .gvmi images, else wasmtime)' },
  'max-price': { type: 'string', value: 'GLM', description: 'the highest of every price: start price, CPU per hour and environment per hour' },
  'max-start-price': { type: 'string', value: 'GLM', description: 'the highest start price (overrides --max-price)' },
  'max-cpu-per-hour': { type: 'string', value: 'GLM', description: 'the highest price of an hour of CPU (overrides --max-price)' },
  'max-env-per-hour': { type: 'string', value: 'GLM', description: 'the highest price of an hour of the environment (overrides --max-price)' },
  budget: { type: 'string', value: 'GLM', description: 'the most the whole job may cost (default 1)' },
  timeout: { type: 'string', value: 'S', description: "the command's time limit in seconds (default 600)" },
  'startup-timeout': { type: 'string', value: 'S', description: 'how long to look for a provider, in seconds (default 30)' },
  'payment-wait': { type: 'string', value: 'S', description: "how long to wait for the payment's transaction before saying pending (default 30)" },
  env: { type: 'string', multiple: true, value: 'NAME=VALUE', description: 'an environment variable of the command' },
  subnet: { type: 'string', value: 'NAME', description: 'only providers of this subnet (golem.node.debug.subnet)' },
  'api-url': { type: 'string', value: 'URL', description: "the requester daemon's REST API (default $AGORA_API_URL, $YAGNA_API_URL, http://127.0.0.1:7465)" },
  'app-key': { type: 'string', value: 'KEY', description: 'its app-key (default $AGORA_APPKEY, $YAGNA_APPKEY)' },
  ...JSON_OPTION
}

/** `agora workflow show`: where the requester daemon is. */
export const WORKFLOW_SHOW_OPTIONS: Record<string, OptionSpec> = {
  'api-url': RUN_OPTIONS['api-url']!,
  'app-key': RUN_OPTIONS['app-key']!,
  ...JSON_OPTION
}

/** `agora workflow run`: where the daemon is, what each owner's step may cost, and where the results go. */
export const WORKFLOW_RUN_OPTIONS: Record<string, OptionSpec> = {
  budget: { type: 'string', value: 'GLM', description: "the most each owner's step may cost, and the highest of its prices (default 1)" },
  'startup-timeout': { type: 'string', value: 'S', description: "how long to look for an owner's data offer, in seconds (default 60)" },
  out: { type: 'string', value: 'DIR', description: "write the requester's results there as <step>.<output>" },
  ...WORKFLOW_SHOW_OPTIONS
}
