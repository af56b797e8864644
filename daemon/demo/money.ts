// Funding every party from the dev chain's faucet and reading their balances
// on chain, through each daemon's own API (`agora payment fund|status`).
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import type { Party } from './marketplace.ts'

const PAYMENT_EXTRAS = '/agora-api/v1/payment'

export interface Balance {
  /** Base units of the token. */
  readonly token: bigint
  /** Base units of the chain's coin (gas). */
  readonly gas: bigint
}

export type Balances = ReadonlyMap<string, Balance>

export async function fundAll(parties: readonly Party[]): Promise<void> {
  await Promise.all(parties.map(async party => await party.api.call('POST', `${PAYMENT_EXTRAS}/fund`, {})))
}

export async function balancesOf(parties: readonly Party[]): Promise<Balances> {
  const entries = await Promise.all(
    parties.map(async party => {
      const status = await party.api.call<{ tokenBalance: string; gasBalance: string }>('GET', `${PAYMENT_EXTRAS}/status`)
      return [party.name, { token: parseAmount(status.tokenBalance, 'tokenBalance'), gas: parseAmount(status.gasBalance, 'gasBalance') }] as const
    })
  )
  return new Map(entries)
}

/** A signed difference in token units, e.g. "+0.000012" or "-0.000036". */
export function signedAmount(units: bigint): string {
  return units < 0n ? `-${formatAmount(-units)}` : `+${formatAmount(units)}`
}
