// Every command the CLI knows, as data: words, arguments, summary, options,
// and how to import its implementation when it is the one that runs.
import {
  CHAIN_DEV_OPTIONS,
  DASHBOARD_OPTIONS,
  DATA_OPTIONS,
  JSON_OPTION,
  PAYMENT_OPTIONS,
  PRICE_OPTIONS,
  PROVIDER_OPTIONS,
  PROVIDER_SETTINGS_OPTIONS,
  RUN_OPTIONS,
  SERVICE_OPTIONS
} from './options.ts'
import type { Command } from './usage.ts'

export const COMMANDS: Command[] = [
  {
    words: ['service', 'run'],
    args: [],
    summary: 'Runs the daemon until SIGINT or SIGTERM (a second signal exits at once). Logs JSON lines on stdout.',
    options: SERVICE_OPTIONS,
    load: async () => (await import('./service-commands.ts')).runService
  },
  {
    words: ['app-key', 'create'],
    args: ['<name>'],
    summary: 'Creates an app-key for the REST API and prints it. The key is shown only this once.',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./app-key-commands.ts')).createAppKey
  },
  {
    words: ['app-key', 'list'],
    args: [],
    summary: 'Lists the app-keys: names, ids and creation times (never the keys).',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./app-key-commands.ts')).listAppKeys
  },
  {
    words: ['app-key', 'drop'],
    args: ['<name>'],
    summary: 'Removes an app-key, by name or id. Clients using it are refused from then on.',
    options: { ...DATA_OPTIONS },
    load: async () => (await import('./app-key-commands.ts')).dropAppKey
  },
  {
    words: ['dashboard'],
    args: [],
    summary: "Prints a link that logs a browser into the running daemon's web dashboard. The link works once, within 60 s; it never carries an app-key.",
    options: DASHBOARD_OPTIONS,
    load: async () => (await import('./dashboard-commands.ts')).dashboardLink
  },
  {
    words: ['id', 'show'],
    args: [],
    summary: 'Shows the node id and peer id, creating the node key on first use. While the daemon runs, also its API and listen addresses.',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./id-commands.ts')).showId
  },
  {
    words: ['chain', 'dev'],
    args: [],
    summary:
      'Runs a dev chain for the daemons on this machine until SIGINT or SIGTERM. It is anvil on 127.0.0.1; it deploys the contracts on its first start, keeps its state in its directory and writes the network file the daemons read (<dir>/network.json).',
    options: CHAIN_DEV_OPTIONS,
    load: async () => (await import('./chain-commands.ts')).runChainDev
  },
  {
    words: ['payment', 'status'],
    args: [],
    summary:
      "Shows the running daemon's payment status on a platform. Amounts owed and paid both ways, reserved by allocations, and the token and gas balances on chain.",
    options: {
      ...PAYMENT_OPTIONS,
      platform: { type: 'string', value: 'PLATFORM', description: "payment platform, e.g. erc20-dev-tglm (default: the daemon's default platform)" },
      address: { type: 'string', value: 'ADDRESS', description: "the address (default: the node's own)" }
    },
    load: async () => (await import('./payment-commands.ts')).paymentStatus
  },
  {
    words: ['payment', 'accounts'],
    args: [],
    summary: "Lists the running daemon's payment accounts. The platforms and addresses it pays from (requestor) and is paid on (provider).",
    options: PAYMENT_OPTIONS,
    load: async () => (await import('./payment-commands.ts')).paymentAccounts
  },
  {
    words: ['payment', 'deposits'],
    args: [],
    summary: "Lists the running daemon's escrow deposits. Either side's: amount, claimed so far, the best voucher, deadline.",
    options: PAYMENT_OPTIONS,
    load: async () => (await import('./payment-commands.ts')).paymentDeposits
  },
  {
    words: ['payment', 'claim'],
    args: [],
    summary: "Claims the running daemon's vouchers on chain. Those worth their gas now; with --all every unclaimed one, whatever the gas.",
    options: {
      ...PAYMENT_OPTIONS,
      all: { type: 'boolean', description: 'claim every unclaimed voucher, whatever the gas' },
      deposit: { type: 'string', multiple: true, value: 'ID', description: 'claim only this deposit' }
    },
    load: async () => (await import('./payment-commands.ts')).paymentClaim
  },
  {
    words: ['payment', 'fund'],
    args: [],
    summary: "Mints test tokens and sends gas to the running daemon's address. Only on a dev or test network (one whose config has a faucet).",
    options: {
      ...PAYMENT_OPTIONS,
      platform: { type: 'string', value: 'PLATFORM', description: "payment platform (default: the daemon's default platform)" }
    },
    load: async () => (await import('./payment-commands.ts')).paymentFund
  },
  {
    words: ['provider', 'settings', 'show'],
    args: [],
    summary: "Shows the running daemon's provider settings and presets. Caps, negotiation ranges, requester lists, and each preset's runtime and prices.",
    options: PROVIDER_OPTIONS,
    load: async () => (await import('./provider-commands.ts')).providerSettingsShow
  },
  {
    words: ['provider', 'settings', 'set'],
    args: [],
    summary:
      "Changes the running daemon's provider settings; the offers are replaced at once. A bad value refuses the whole change, naming the setting. Prices apply to every preset, or with --preset to one.",
    options: PROVIDER_SETTINGS_OPTIONS,
    load: async () => (await import('./provider-commands.ts')).providerSettingsSet
  },
  {
    words: ['provider', 'preset', 'list'],
    args: [],
    summary: "Lists the running daemon's provider presets. One offer each: a runtime at a price.",
    options: PROVIDER_OPTIONS,
    load: async () => (await import('./provider-commands.ts')).providerPresetList
  },
  {
    words: ['provider', 'preset', 'create'],
    args: ['<name>'],
    summary: 'Creates a provider preset (its offer is published at once). Prices not given are 0, 0.02 and 0.1 tokens.',
    options: { ...PROVIDER_OPTIONS, runtime: { type: 'string', value: 'RUNTIME', description: 'wasmtime or vm' }, ...PRICE_OPTIONS },
    load: async () => (await import('./provider-commands.ts')).providerPresetCreate
  },
  {
    words: ['provider', 'preset', 'update'],
    args: ['<name>'],
    summary: "Changes a provider preset's runtime or prices (its offer is replaced at once).",
    options: { ...PROVIDER_OPTIONS, runtime: { type: 'string', value: 'RUNTIME', description: 'wasmtime or vm' }, ...PRICE_OPTIONS },
    load: async () => (await import('./provider-commands.ts')).providerPresetUpdate
  },
  {
    words: ['provider', 'preset', 'remove'],
    args: ['<name>'],
    summary: 'Removes a provider preset (its offer is withdrawn). With no presets left, nothing is offered.',
    options: PROVIDER_OPTIONS,
    load: async () => (await import('./provider-commands.ts')).providerPresetRemove
  },
  {
    words: ['provider', 'status'],
    args: [],
    summary:
      "Shows the running daemon's provider agent. Offers live (and presets not published, and why), agreements by state, activities running, earnings: accepted, paid, pending.",
    options: PROVIDER_OPTIONS,
    load: async () => (await import('./provider-commands.ts')).providerStatus
  },
  {
    words: ['run'],
    args: ['<command>', '[<arg>...]'],
    summary:
      "Runs one command on a provider found by the running requester daemon, and pays for it. Put '--' before the command; its output streams as it comes, then the exit code, the cost and the payment transaction are printed (on stderr; --json: one JSON document on stdout). Exits with the command's exit code; its own: 2 bad usage, 3 no matching offers, 4 the provider failed or was lost, 5 the daemon unreachable or the app-key refused, 6 budget exhausted, 7 timeout, 130 interrupted.",
    options: RUN_OPTIONS,
    load: async () => (await import('./run-command.ts')).runJob
  }
]
