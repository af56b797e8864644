// The Agreements view (by state, live on the market's agreement events) and
// one agreement's detail, where it can be terminated after a confirmation.
import { useState } from 'preact/hooks'
import { get, post } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { Empty, Frame, IdLink } from './common.tsx'

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
// The most recent agreements looked at one by one for their state.
const MAX_ROWS = 100
const STATE_ORDER = ['Approved', 'Pending', 'Proposal', 'Terminated', 'Cancelled', 'Rejected', 'Expired']

async function loadRows(signal: AbortSignal): Promise<Row[]> {
  const entries = await get<AgreementEntry[]>(`${MARKET}/agreements`, signal)
  const recent = [...entries].sort((a, b) => b.timestamp.localeCompare(a.timestamp)).slice(0, MAX_ROWS)
  return await Promise.all(
    recent.map(async entry => ({ ...entry, state: (await get<Agreement>(`${MARKET}/agreements/${encodeURIComponent(entry.id)}`, signal)).state }))
  )
}

export function AgreementsView() {
  const changes = useEventCount(AGREEMENT_EVENTS)
  const loaded = useLoaded(loadRows, [changes])
  const [filter, setFilter] = useState('')
  return (
    <section aria-labelledby="agreements-title">
      <h2 id="agreements-title">Agreements</h2>
      <p>
        <label for="agreement-filter">Filter by id, role or state </label>
        <input id="agreement-filter" type="search" value={filter} onInput={event => setFilter(event.currentTarget.value)} />
      </p>
      <Frame loaded={loaded}>
        {all => {
          if (all.length === 0) return <Empty what="agreements" />
          const wanted = filter.trim().toLowerCase()
          const rows = wanted === '' ? all : all.filter(row => `${row.id} ${row.role} ${row.state}`.toLowerCase().includes(wanted))
          if (rows.length === 0) return <p class="empty">No agreement matches “{filter}”.</p>
          const states = [...new Set(rows.map(row => row.state))].sort((a, b) => rank(a) - rank(b))
          return (
            <>
              {states.map(state => (
                <div key={state} class="group" data-state={state}>
                  <h3>
                    {state} <span class="count">({rows.filter(row => row.state === state).length})</span>
                  </h3>
                  <table>
                    <caption class="visually-hidden">{state} agreements</caption>
                    <thead>
                      <tr>
                        <th scope="col">Agreement</th>
                        <th scope="col">Role</th>
                        <th scope="col">Made</th>
                        <th scope="col">Approved</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows
                        .filter(row => row.state === state)
                        .map(row => (
                          <tr key={row.id} data-agreement-id={row.id}>
                            <td>
                              <IdLink href={`#/agreements/${row.id}`} id={row.id} />
                            </td>
                            <td>{row.role}</td>
                            <td>{when(row.timestamp)}</td>
                            <td>{when(row.approvedDate)}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
              ))}
            </>
          )
        }}
      </Frame>
    </section>
  )
}

function rank(state: string): number {
  const at = STATE_ORDER.indexOf(state)
  return at < 0 ? STATE_ORDER.length : at
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
