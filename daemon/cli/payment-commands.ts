// `agora payment status|accounts|deposits|claim|fund`: ask the running daemon,
// through its admin socket, what its REST API answers (the Payment API and
// Agora's payment extras), and print it as a table or, with --json, as the
// API's JSON.
import { printResult, textOption, withDaemon } from './daemon-calls.ts'
import { cellOf, labelled, table } from './table.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

const PAYMENT_API = '/payment-api/v1'
const AGORA_PAYMENT_API = '/agora-api/v1/payment'
const DEPOSIT_ID = /^0x[0-9a-fA-F]{64}$/
const PLATFORM = /^[a-z][a-z0-9]{0,15}-[a-z][a-z0-9]{0,31}-[a-z][a-z0-9]{0,15}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

type Json = Record<string, unknown>

const NO_DAEMON_HINT = 'the payment commands ask a running one (agora service run)'

const platformOption = (values: OptionValues): string | undefined => textOption(values, 'platform', PLATFORM, 'a payment platform (erc20-<network>-<token>)')

export const paymentStatus: CommandRun = async ({ values }) => {
  const platform = platformOption(values)
  const address = textOption(values, 'address', ADDRESS, 'a 0x address')
  const query = new URLSearchParams()
  if (platform !== undefined) query.set('platform', platform)
  if (address !== undefined) query.set('address', address)
  const path = `${AGORA_PAYMENT_API}/status${query.size === 0 ? '' : `?${query.toString()}`}`
  const status = await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<Json>('GET', path))
  return printResult(values, status, () => labelled(status))
}

export const paymentAccounts: CommandRun = async ({ values }) => {
  const [requestor, provider] = await withDaemon(
    values,
    NO_DAEMON_HINT,
    async daemon =>
      await Promise.all([daemon.rest<Json[]>('GET', `${PAYMENT_API}/requestorAccounts`), daemon.rest<Json[]>('GET', `${PAYMENT_API}/providerAccounts`)])
  )
  return printResult(values, { requestor, provider }, () => {
    const rows = [...requestor.map(account => ['requestor', account] as const), ...provider.map(account => ['provider', account] as const)].map(
      ([role, account]) => [role, cellOf(account.platform), cellOf(account.address), yesNo(account.send), yesNo(account.receive)]
    )
    if (rows.length === 0) return 'no payment accounts (no payment network is configured)\n'
    return table(['ROLE', 'PLATFORM', 'ADDRESS', 'SEND', 'RECEIVE'], rows)
  })
}

export const paymentDeposits: CommandRun = async ({ values }) => {
  const deposits = await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<Json[]>('GET', `${AGORA_PAYMENT_API}/deposits`))
  return printResult(values, deposits, () => {
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
  const outcome = await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<Json>('POST', `${AGORA_PAYMENT_API}/claim`, body))
  return printResult(values, outcome, () => {
    const claimed = Array.isArray(outcome.depositIds) ? outcome.depositIds : []
    if (claimed.length === 0) return 'nothing to claim now\n'
    return `claimed ${cellOf(outcome.amount)} from ${claimed.length} deposit${claimed.length === 1 ? '' : 's'} in ${cellOf(outcome.txHash)}\n${claimed.map(id => `  ${cellOf(id)}`).join('\n')}\n`
  })
}

export const paymentFund: CommandRun = async ({ values }) => {
  const platform = platformOption(values)
  const funded = await withDaemon(
    values,
    NO_DAEMON_HINT,
    async daemon => await daemon.rest<Json>('POST', `${AGORA_PAYMENT_API}/fund`, platform === undefined ? {} : { platform })
  )
  return printResult(values, funded, () => {
    const hashes = Array.isArray(funded.txHashes) ? funded.txHashes : []
    return `funded: ${cellOf(funded.token)} tokens, ${cellOf(funded.gas)} gas\n${hashes.map(hash => `  ${cellOf(hash)}`).join('\n')}${hashes.length === 0 ? '' : '\n'}`
  })
}

function yesNo(value: unknown): string {
  return value === true ? 'yes' : value === false ? 'no' : cellOf(value)
}
