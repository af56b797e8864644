// Every command the CLI knows, as data: words, arguments, summary, options,
// and how to import its implementation when it is the one that runs.
import {
  CHAIN_DEV_OPTIONS,
  DASHBOARD_OPTIONS,
  DATA_OPTIONS,
  DATASET_ADD_OPTIONS,
  DATASET_OPTIONS,
  JSON_OPTION,
  PAYMENT_OPTIONS,
  PRICE_OPTIONS,
  PROVIDER_OPTIONS,
  PROVIDER_SETTINGS_OPTIONS,
  RUN_OPTIONS,
  SERVICE_OPTIONS,
  WORKFLOW_RUN_OPTIONS,
  WORKFLOW_SHOW_OPTIONS
} from './options.ts'
import { AUDIT_OPTIONS, MANIFEST_SIGN_OPTIONS, MANIFEST_VERIFY_OPTIONS, POLICY_CHECK_OPTIONS, POLICY_OPTIONS } from './data-policy-options.ts'
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
    words: ['data', 'add'],
    args: ['<name>'],
    summary:
      "Registers a dataset on the running daemon and offers it beside every preset. The source is snapshotted at once (a CSV file, a directory's regular files, or the owner's SELECT over a SQLite database, opened read-only); offers carry its descriptor (columns, rows rounded down, size, policy, price), never the data. A failed import leaves nothing.",
    options: DATASET_ADD_OPTIONS,
    load: async () => (await import('./data-commands.ts')).dataAdd
  },
  {
    words: ['data', 'list'],
    args: [],
    summary: "Lists the running daemon's datasets: kind, exact rows, size, prices, tags and policy.",
    options: DATASET_OPTIONS,
    load: async () => (await import('./data-commands.ts')).dataList
  },
  {
    words: ['data', 'show'],
    args: ['<name>'],
    summary: "Shows one dataset: its source, snapshot, columns and types, and each file's size and sha3-256.",
    options: DATASET_OPTIONS,
    load: async () => (await import('./data-commands.ts')).dataShow
  },
  {
    words: ['data', 'remove'],
    args: ['<name>'],
    summary: 'Removes a dataset: its record, its snapshot and its offers. Refused while an agreement on it is in force (terminate that first).',
    options: DATASET_OPTIONS,
    load: async () => (await import('./data-commands.ts')).dataRemove
  },
  {
    words: ['data', 'policy', 'show'],
    args: ['<dataset>'],
    summary:
      'Shows the policy in force for a dataset on the running daemon, and its file (<data dir>/custody/policies/<dataset>.json). A dataset without one refuses every use. The file is read again whenever it changes: a file that fails its checks leaves the last good policy in force.',
    options: POLICY_OPTIONS,
    load: async () => (await import('./data-policy-commands.ts')).dataPolicyShow
  },
  {
    words: ['data', 'policy', 'check'],
    args: ['<dataset>'],
    summary:
      'Asks the policy in force whether a requester may run an algorithm on a dataset now, and prints every reason (the rule of the policy and why). Nothing is recorded. Exits 1 when refused.',
    options: POLICY_CHECK_OPTIONS,
    load: async () => (await import('./data-policy-commands.ts')).dataPolicyCheck
  },
  {
    words: ['data', 'policy', 'template'],
    args: ['<dataset>'],
    summary:
      'Prints a starting policy for a dataset, every rule commented. Save it as <data dir>/custody/policies/<dataset>.json and edit it: it allows no algorithm until you name one.',
    options: {},
    load: async () => (await import('./data-policy-commands.ts')).dataPolicyTemplate
  },
  {
    words: ['data', 'audit'],
    args: [],
    summary:
      "Lists the running daemon's audit log, oldest first: policies loaded and refused, every decision with its reasons, runs, releases and refusals of outputs. With --verify, checks the hash chain (an entry edited, removed or reordered breaks it).",
    options: AUDIT_OPTIONS,
    load: async () => (await import('./data-policy-commands.ts')).dataAudit
  },
  {
    words: ['data', 'manifest', 'sign'],
    args: [],
    summary:
      "Signs an algorithm manifest with the running daemon's node key and prints it (one line of JSON). A requester puts it in its demand's agora.data.manifest; an owner who trusts this node as a publisher then allows the algorithm by it.",
    options: MANIFEST_SIGN_OPTIONS,
    load: async () => (await import('./data-policy-commands.ts')).dataManifestSign
  },
  {
    words: ['data', 'manifest', 'verify'],
    args: ['<file>'],
    summary: "Verifies a signed algorithm manifest: its shape and its publisher's signature. No daemon needed. Exits 1 when it does not verify.",
    options: MANIFEST_VERIFY_OPTIONS,
    load: async () => (await import('./data-policy-commands.ts')).dataManifestVerify
  },
  {
    words: ['run'],
    args: ['<command>', '[<arg>...]'],
    summary:
      "Runs one command on a provider found by the running requester daemon, and pays for it. Put '--' before the command; its output streams as it comes, then the exit code, the cost and the payment transaction are printed (on stderr; --json: one JSON document on stdout). Exits with the command's exit code; its own: 2 bad usage, 3 no matching offers, 4 the provider failed or was lost, 5 the daemon unreachable or the app-key refused, 6 budget exhausted, 7 timeout, 130 interrupted.",
    options: RUN_OPTIONS,
    load: async () => (await import('./run-command.ts')).runJob
  },
  {
    words: ['workflow', 'run'],
    args: ['<file.json>'],
    summary:
      "Runs a workflow document (docs/data-custody.md) through the running requester daemon: each owner's step on a rental of its dataset, the requester's steps on this machine, every intermediate result moved only when all owners of its provenance allow it. Prints each step's state as it changes (on stderr; --json: JSON lines on stdout). Exits 0 when every step is Done, 1 when one failed or was refused.",
    options: WORKFLOW_RUN_OPTIONS,
    load: async () => (await import('./workflow-commands.ts')).workflowRun
  },
  {
    words: ['workflow', 'show'],
    args: ['<id>'],
    summary:
      "Shows a workflow the requester daemon keeps, step by step: state, site, inputs, provenance, the owners' verdicts on its moves, and the reason of a failure or refusal.",
    options: WORKFLOW_SHOW_OPTIONS,
    load: async () => (await import('./workflow-commands.ts')).workflowShow
  }
]
