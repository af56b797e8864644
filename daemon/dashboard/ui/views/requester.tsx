// The Requester view: what this node asks for and pays — its demands and
// their proposals, its agreements as requester, allocations, documents
// received, and escrow deposits with their vouchers. Live on the market's
// agreement events and the payment events.
import { get } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { AllocationsSection } from './allocations.tsx'
import { Empty, Frame, IdLink } from './common.tsx'
import { DemandsSection } from './demands.tsx'
import { DepositsSection } from './deposits.tsx'
import { ReceivedSection } from './received.tsx'

interface AgreementEntry {
  id: string
  timestamp: string
  approvedDate?: string
  role: 'Requestor' | 'Provider'
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
      <DepositsSection version={version} side="Requestor" />
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
