// The two views of an account's state: the Payment API's paymentsStatus (the
// driver's list of actionable problems, as ya-client types it: an empty list
// when all is well) and Agora's status extra (one account's amounts and its
// balances on chain, which `agora payment status` prints).
import { CodedError } from '../../net/index.ts'
import { formatAmount, PaymentError } from '../../payment/index.ts'
import type { PaymentApi } from '../../payment/index.ts'

export interface DriverStatusProperty {
  kind: 'InsufficientGas' | 'InsufficientToken' | 'RpcError'
  driver: string
  network: string
  address?: string
  neededGasEst?: string
  neededTokenEst?: string
}

/** The platform a status query means: by name, or the one account on `network` (and `driver`). */
export function statusPlatform(api: PaymentApi, query: { platform?: string; network?: string; driver?: string }): string | undefined {
  if (query.platform !== undefined) return query.platform
  if (query.network === undefined) {
    checkDriver(query.driver)
    return undefined
  }
  const driver = query.driver ?? 'erc20'
  const platforms = accountPlatforms(api).filter(account => account.network === query.network && account.driver === driver)
  const [first, ...others] = platforms
  if (first === undefined) throw new PaymentError('NotFound', `no payment platform on network ${query.network} with driver ${driver}`)
  if (others.length > 0)
    throw new PaymentError(
      'BadRequest',
      `network ${query.network} has several platforms (${platforms.map(p => p.platform).join(', ')}): name one with platform`
    )
  return first.platform
}

/**
 * What stops this node's payments on each platform it has (filtered by
 * network and driver): no gas to send with, fewer tokens than it has accepted
 * and not yet paid, or a chain no RPC URL answers for.
 */
export async function driverStatus(api: PaymentApi, query: { network?: string; driver?: string }): Promise<DriverStatusProperty[]> {
  checkDriver(query.driver)
  const properties: DriverStatusProperty[] = []
  for (const { platform, network, driver } of accountPlatforms(api)) {
    if (query.network !== undefined && network !== query.network) continue
    try {
      const status = await api.status({ platform })
      const address = (api.accounts('Requestor').find(a => a.platform === platform) ?? api.accounts('Provider').find(a => a.platform === platform))?.address
      const where = { driver, network, ...(address === undefined ? {} : { address }) }
      if (status.gasBalance === 0n) properties.push({ kind: 'InsufficientGas', ...where })
      const owed = status.outgoing.accepted - status.outgoing.confirmed
      if (status.tokenBalance < owed) properties.push({ kind: 'InsufficientToken', ...where, neededTokenEst: formatAmount(owed - status.tokenBalance) })
    } catch (err) {
      if (!(err instanceof CodedError) || err.code !== 'Unavailable') throw err
      properties.push({ kind: 'RpcError', driver, network })
    }
  }
  return properties
}

function checkDriver(driver: string | undefined): void {
  if (driver !== undefined && driver !== 'erc20') throw new PaymentError('NotFound', `no payment driver ${driver}: Agora has erc20`)
}

/** Each platform this node has an account on, once. */
function accountPlatforms(api: PaymentApi): { platform: string; network: string; driver: string }[] {
  const byPlatform = new Map<string, { platform: string; network: string; driver: string }>()
  for (const account of [...api.accounts('Requestor'), ...api.accounts('Provider')]) {
    if (!byPlatform.has(account.platform)) byPlatform.set(account.platform, { platform: account.platform, network: account.network, driver: account.driver })
  }
  return [...byPlatform.values()]
}
