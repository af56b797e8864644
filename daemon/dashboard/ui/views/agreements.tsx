// The Agreements view (every agreement, by state, filtered and paged; live on
// the market's agreement events) and one agreement's detail, where it can be
// terminated after a confirmation.
import { useState } from 'preact/hooks'
import { get, post } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { Empty, Frame, IdLink } from './common.tsx'
import { PagedTable } from './paged-table.tsx'

interface AgreementEntry {
  id: string
  timestamp: string
  approvedDate?: string
  role: 'Requestor' | 'Provider'
}

interface Agreement {
  agreementId: string
  state: string
  timestamp: string
  approvedDate?: string
  validTo: string
  demand: { requestorId: string; properties: Record<string, unknown> }
  offer: { providerId: string; properties: Record<string, unknown> }
}

interface Row extends AgreementEntry {
  state: string
}

const MARKET = '/market-api/v1'
const AGREEMENT_EVENTS = [`${MARKET}/agreementEvents`]
const STATE_ORDER = ['Approved', 'Pending', 'Proposal', 'Terminated', 'Cancelled', 'Rejected', 'Expired']

/** Every agreement with its state: one list per state (the list route filters by state), so no agreement is read on its own. */
async function loadRows(signal: AbortSignal): Promise<Row[]> {
  const byState = await Promise.all(
    STATE_ORDER.map(async state => (await get<AgreementEntry[]>(`${MARKET}/agreements?state=${state}`, signal)).map(entry => ({ ...entry, state })))
  )
  // By state, then newest first.
  return byState.flatMap(rows => rows.sort((a, b) => b.timestamp.localeCompare(a.timestamp)))
}

export function AgreementsView() {
  const changes = useEventCount(AGREEMENT_EVENTS)
  const loaded = useLoaded(loadRows, [changes])
  return (
    <section aria-labelledby="agreements-title">
      <h2 id="agreements-title">Agreements</h2>
      <Frame loaded={loaded}>
        {rows => {
          if (rows.length === 0) return <Empty what="agreements" />
          const counts = STATE_ORDER.map(state => [state, rows.filter(row => row.state === state).length] as const).filter(([, count]) => count > 0)
          return (
            <>
              <p class="count" id="agreement-counts">
                {counts.map(([state, count]) => `${state} ${count}`).join(', ')}
              </p>
              <PagedTable
                name="agreements"
                caption="Agreements"
                rows={rows}
                text={row => `${row.id} ${row.role} ${row.state}`}
                head={
                  <tr>
                    <th scope="col">Agreement</th>
                    <th scope="col">State</th>
                    <th scope="col">Role</th>
                    <th scope="col">Made</th>
                    <th scope="col">Approved</th>
                  </tr>
                }
                row={row => (
                  <tr key={row.id} data-agreement-id={row.id} data-state={row.state}>
                    <td>
                      <IdLink href={`#/agreements/${row.id}`} id={row.id} />
                    </td>
                    <td class="state">{row.state}</td>
                    <td>{row.role}</td>
                    <td>{when(row.timestamp)}</td>
                    <td>{when(row.approvedDate)}</td>
                  </tr>
                )}
              />
            </>
          )
        }}
      </Frame>
    </section>
  )
}

export function AgreementView({ id }: { id: string }) {
  const changes = useEventCount(AGREEMENT_EVENTS)
  const [done, setDone] = useState(0)
  const loaded = useLoaded(signal => get<Agreement>(`${MARKET}/agreements/${encodeURIComponent(id)}`, signal), [id, changes, done])
  const [problem, setProblem] = useState<string | null>(null)
  const terminate = () => {
    if (!window.confirm('Terminate this agreement? Its activities end and it cannot be resumed.')) return
    post(`${MARKET}/agreements/${encodeURIComponent(id)}/terminate`, { message: 'terminated from the dashboard' }).then(
      () => setDone(n => n + 1),
      (err: unknown) => setProblem(err instanceof Error ? err.message : String(err))
    )
  }
  return (
    <section aria-labelledby="agreement-title">
      <h2 id="agreement-title">
        Agreement <code>{id}</code>
      </h2>
      <p>
        <a href="#/agreements">← All agreements</a>
      </p>
      <Frame loaded={loaded}>
        {agreement => (
          <>
            <dl class="facts">
              <dt>State</dt>
              <dd id="agreement-state">{agreement.state}</dd>
              <dt>Provider</dt>
              <dd>
                <code>{agreement.offer.providerId}</code>
              </dd>
              <dt>Requestor</dt>
              <dd>
                <code>{agreement.demand.requestorId}</code>
              </dd>
              <dt>Made</dt>
              <dd>{when(agreement.timestamp)}</dd>
              <dt>Approved</dt>
              <dd>{when(agreement.approvedDate)}</dd>
              <dt>Valid to</dt>
              <dd>{when(agreement.validTo)}</dd>
            </dl>
            {agreement.state === 'Approved' ? (
              <button type="button" class="danger" onClick={terminate}>
                Terminate…
              </button>
            ) : null}
            {problem === null ? null : <p role="alert">{problem}</p>}
            <h3>Offer properties</h3>
            <pre class="properties">{JSON.stringify(agreement.offer.properties, null, 2)}</pre>
          </>
        )}
      </Frame>
    </section>
  )
}
