// The Requester view: what this node asks for and pays — its demands and
// their proposals, its agreements as requester, allocations, documents
// received, and escrow deposits with their vouchers. Live on the market's
// agreement events and the payment events.
import { ApiFailure, get } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { AllocationsSection } from './allocations.tsx'
import { Empty, Frame, IdLink } from './common.tsx'
import { DemandsSection } from './demands.tsx'
import { ReceivedSection } from './received.tsx'

interface AgreementEntry {
  id: string
  timestamp: string
  approvedDate?: string
  role: 'Requestor' | 'Provider'
}

interface Deposit {
  depositId: string
  role: 'Requestor' | 'Provider'
  provider: string
  paymentPlatform: string
  agreementIds: string[]
  amount: string
  claimed: string
  deadline: string
  voucherCumulative: string
  reclaim?: string
}

const LIVE = ['/market-api/v1/agreementEvents', '/payment-api/v1/debitNoteEvents', '/payment-api/v1/invoiceEvents']

export function RequesterView({ nodeId }: { nodeId: string }) {
  const changes = useEventCount(LIVE)
  const version = [changes]
  return (
    <section aria-labelledby="requester-title">
      <h2 id="requester-title">Requester</h2>
      <DemandsSection version={version} />
      <RequesterAgreements version={version} />
      <AllocationsSection version={version} />
      <ReceivedSection nodeId={nodeId} version={version} />
      <DepositsSection version={version} />
    </section>
  )
}

function RequesterAgreements({ version }: { version: unknown[] }) {
  const loaded = useLoaded(
    async signal => (await get<AgreementEntry[]>('/market-api/v1/agreements', signal)).filter(entry => entry.role === 'Requestor'),
    version
  )
  return (
    <>
      <h3 id="requester-agreements-title">Agreements as requester</h3>
      <Frame loaded={loaded}>
        {entries =>
          entries.length === 0 ? (
            <Empty what="agreements as requester" />
          ) : (
            <ul class="plain">
              {[...entries]
                .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
                .map(entry => (
                  <li key={entry.id} data-agreement-id={entry.id}>
                    <IdLink href={`#/agreements/${entry.id}`} id={entry.id} /> made {when(entry.timestamp)}
                    {entry.approvedDate === undefined ? '' : `, approved ${when(entry.approvedDate)}`}
                  </li>
                ))}
            </ul>
          )
        }
      </Frame>
    </>
  )
}

/** Escrow deposits this node made (none without a chain: the route answers 503, said as such). */
async function loadDeposits(signal: AbortSignal): Promise<Deposit[] | string> {
  try {
    return (await get<Deposit[]>('/agora-api/v1/payment/deposits', signal)).filter(deposit => deposit.role === 'Requestor')
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 503) return `No chain to read deposits from: ${err.message}`
    throw err
  }
}

function DepositsSection({ version }: { version: unknown[] }) {
  const loaded = useLoaded(loadDeposits, version)
  return (
    <>
      <h3 id="deposits-title">Deposits and vouchers</h3>
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
                  <th scope="col">Provider</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Voucher signed (cumulative)</th>
                  <th scope="col">Claimed</th>
                  <th scope="col">Deadline</th>
                  <th scope="col">Left goes back</th>
                </tr>
              </thead>
              <tbody>
                {deposits.map(deposit => (
                  <tr key={deposit.depositId}>
                    <td>
                      <code title={deposit.depositId}>{deposit.depositId.slice(0, 12)}</code>
                    </td>
                    <td>
                      <code title={deposit.provider}>{deposit.provider.slice(0, 12)}</code>
                    </td>
                    <td class="number">{deposit.amount}</td>
                    <td class="number">{deposit.voucherCumulative}</td>
                    <td class="number">{deposit.claimed}</td>
                    <td>{when(deposit.deadline)}</td>
                    <td>{deposit.reclaim ?? '—'}</td>
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
