// Escrow deposits as one side sees them: a requester's, with the cumulative
// voucher it signed and whether the rest went back; a provider's, with the
// voucher it holds and what it claimed. The chain's records give amounts, not
// the claims' transactions (a claim's hash is told only to its caller).
import { ApiFailure, get } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'

interface Deposit {
  depositId: string
  role: 'Requestor' | 'Provider'
  requester: string
  provider: string
  paymentPlatform: string
  agreementIds: string[]
  amount: string
  claimed: string
  deadline: string
  voucherCumulative: string
  reclaim?: string
}

const other = (deposit: Deposit): string => (deposit.role === 'Requestor' ? deposit.provider : deposit.requester)

/** Escrow deposits on this node's side `role` (none without a chain: the route answers 503, said as such). */
async function loadDeposits(role: Deposit['role'], signal: AbortSignal): Promise<Deposit[] | string> {
  try {
    return (await get<Deposit[]>('/agora-api/v1/payment/deposits', signal)).filter(deposit => deposit.role === role)
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 503) return `No chain to read deposits from: ${err.message}`
    throw err
  }
}

export function DepositsSection({ version, side: role }: { version: unknown[]; side: Deposit['role'] }) {
  const loaded = useLoaded(signal => loadDeposits(role, signal), [...version, role])
  const counterparty = role === 'Requestor' ? 'Provider' : 'Requester'
  return (
    <>
      <h3 id={`deposits-${role.toLowerCase()}`}>
        {role === 'Requestor' ? 'Deposits made, and vouchers signed' : 'Deposits for this node, vouchers received and claims'}
      </h3>
      <Frame loaded={loaded}>
        {deposits =>
          typeof deposits === 'string' ? (
            <p class="empty">{deposits}</p>
          ) : deposits.length === 0 ? (
            <Empty what="deposits" />
          ) : (
            <table>
              <caption class="visually-hidden">Escrow deposits</caption>
              <thead>
                <tr>
                  <th scope="col">Deposit</th>
                  <th scope="col">{counterparty}</th>
                  <th scope="col">Amount</th>
                  <th scope="col">{role === 'Requestor' ? 'Voucher signed' : 'Voucher received'} (cumulative)</th>
                  <th scope="col">Claimed</th>
                  <th scope="col">Deadline</th>
                  {role === 'Requestor' ? <th scope="col">Left goes back</th> : null}
                </tr>
              </thead>
              <tbody>
                {deposits.map(deposit => (
                  <tr key={deposit.depositId}>
                    <td>
                      <code title={deposit.depositId}>{deposit.depositId.slice(0, 12)}</code>
                    </td>
                    <td>
                      <code title={other(deposit)}>{other(deposit).slice(0, 12)}</code>
                    </td>
                    <td class="number">{deposit.amount}</td>
                    <td class="number">{deposit.voucherCumulative}</td>
                    <td class="number">{deposit.claimed}</td>
                    <td>{when(deposit.deadline)}</td>
                    {role === 'Requestor' ? <td>{deposit.reclaim ?? '—'}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Frame>
    </>
  )
}
