// `agora payment status|accounts|deposits|claim|fund`: ask the running daemon,
// through its admin socket, what its REST API answers (the Payment API and
// Agora's payment extras), and print it as a table or, with --json, as the
// API's JSON.
import { NoDaemonError, RemoteOps } from '../admin/remote-ops.ts'
import { dataDirPaths } from '../service/data-dir.ts'
import { configFrom } from './common-options.ts'
import { cellOf, labelled, table } from './table.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

const PAYMENT_API = '/payment-api/v1'
const AGORA_PAYMENT_API = '/agora-api/v1/payment'
const DEPOSIT_ID = /^0x[0-9a-fA-F]{64}$/
const PLATFORM = /^[a-z][a-z0-9]{0,15}-[a-z][a-z0-9]{0,31}-[a-z][a-z0-9]{0,15}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

type Json = Record<string, unknown>

/** Runs `call` on the daemon of the command's data dir; a clear error when none runs. */
async function withDaemon<T>(values: OptionValues, call: (daemon: RemoteOps) => Promise<T>): Promise<T> {
  const { config } = await configFrom(values)
  const daemon = new RemoteOps(dataDirPaths(config.dataDir).adminSocket)
  try {
    return await call(daemon)
  } catch (err) {
    if (err instanceof NoDaemonError) {
      throw new NoDaemonError(`no daemon is running on ${config.dataDir}: the payment commands ask a running one (agora service run)`, { cause: err })
    }
    throw err
  } finally {
    await daemon.close()
  }
}

function print(values: OptionValues, json: unknown, text: () => string): number {
  process.stdout.write(values.json === true ? `${JSON.stringify(json)}\n` : text())
  return 0
}

function optionalText(values: OptionValues, name: string, pattern: RegExp, what: string): string | undefined {
  const value = values[name]
  if (typeof value !== 'string') return undefined
  if (!pattern.test(value)) throw new UsageError(`--${name}: ${JSON.stringify(value.slice(0, 80))} is not ${what}`)
  return value
}

const platformOption = (values: OptionValues): string | undefined => optionalText(values, 'platform', PLATFORM, 'a payment platform (erc20-<network>-<token>)')

export const paymentStatus: CommandRun = async ({ values }) => {
  const platform = platformOption(values)
  const address = optionalText(values, 'address', ADDRESS, 'a 0x address')
  const query = new URLSearchParams()
  if (platform !== undefined) query.set('platform', platform)
  if (address !== undefined) query.set('address', address)
  const path = `${AGORA_PAYMENT_API}/status${query.size === 0 ? '' : `?${query.toString()}`}`
  const status = await withDaemon(values, async daemon => await daemon.rest<Json>('GET', path))
  return print(values, status, () => labelled(status))
}

export const paymentAccounts: CommandRun = async ({ values }) => {
  const [requestor, provider] = await withDaemon(
    values,
    async daemon =>
      await Promise.all([daemon.rest<Json[]>('GET', `${PAYMENT_API}/requestorAccounts`), daemon.rest<Json[]>('GET', `${PAYMENT_API}/providerAccounts`)])
  )
  return print(values, { requestor, provider }, () => {
    const rows = [...requestor.map(account => ['requestor', account] as const), ...provider.map(account => ['provider', account] as const)].map(
      ([role, account]) => [role, cellOf(account.platform), cellOf(account.address), yesNo(account.send), yesNo(account.receive)]
    )
    if (rows.length === 0) return 'no payment accounts (no payment network is configured)\n'
    return table(['ROLE', 'PLATFORM', 'ADDRESS', 'SEND', 'RECEIVE'], rows)
  })
}

export const paymentDeposits: CommandRun = async ({ values }) => {
  const deposits = await withDaemon(values, async daemon => await daemon.rest<Json[]>('GET', `${AGORA_PAYMENT_API}/deposits`))
  return print(values, deposits, () => {
    if (deposits.length === 0) return 'no deposits\n'
    const rows = deposits.map(deposit =>
      ['depositId', 'role', 'paymentPlatform', 'amount', 'claimed', 'voucherCumulative', 'deadline'].map(field => cellOf(deposit[field]))
    )
    return table(['DEPOSIT', 'ROLE', 'PLATFORM', 'AMOUNT', 'CLAIMED', 'VOUCHER', 'DEADLINE'], rows)
  })
}

export const paymentClaim: CommandRun = async ({ values }) => {
  const ids = Array.isArray(values.deposit) ? values.deposit : []
  for (const id of ids)
    if (!DEPOSIT_ID.test(id)) throw new UsageError(`--deposit: ${JSON.stringify(id.slice(0, 80))} is not a deposit id (0x and 64 hex digits)`)
  const body: Json = {}
  if (ids.length > 0) body.depositIds = [...new Set(ids.map(id => id.toLowerCase()))]
  if (values.all === true) body.all = true
  const outcome = await withDaemon(values, async daemon => await daemon.rest<Json>('POST', `${AGORA_PAYMENT_API}/claim`, body))
  return print(values, outcome, () => {
    const claimed = Array.isArray(outcome.depositIds) ? outcome.depositIds : []
    if (claimed.length === 0) return 'nothing to claim now\n'
    return `claimed ${cellOf(outcome.amount)} from ${claimed.length} deposit${claimed.length === 1 ? '' : 's'} in ${cellOf(outcome.txHash)}\n${claimed.map(id => `  ${cellOf(id)}`).join('\n')}\n`
  })
}

export const paymentFund: CommandRun = async ({ values }) => {
  const platform = platformOption(values)
  const funded = await withDaemon(
    values,
    async daemon => await daemon.rest<Json>('POST', `${AGORA_PAYMENT_API}/fund`, platform === undefined ? {} : { platform })
  )
  return print(values, funded, () => {
    const hashes = Array.isArray(funded.txHashes) ? funded.txHashes : []
    return `funded: ${cellOf(funded.token)} tokens, ${cellOf(funded.gas)} gas\n${hashes.map(hash => `  ${cellOf(hash)}`).join('\n')}${hashes.length === 0 ? '' : '\n'}`
  })
}

function yesNo(value: unknown): string {
  return value === true ? 'yes' : value === false ? 'no' : cellOf(value)
}
