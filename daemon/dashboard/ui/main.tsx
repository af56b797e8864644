// The dashboard page: it finds its session (the cookie the login set), then
// shows the view the address's #fragment names.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiFailure, loadSession } from './api.ts'
import type { Session } from './api.ts'
import { AgreementView, AgreementsView } from './views/agreements.tsx'
import { CustodyView } from './views/custody.tsx'
import { DebitNoteView, InvoiceView } from './views/documents.tsx'
import { NodeView } from './views/node.tsx'
import { ProviderView } from './views/provider.tsx'
import { RequesterView } from './views/requester.tsx'
import { ActivitiesView, ActivityView } from './views/activities.tsx'
import { EarningsView, PaymentsView } from './views/payments.tsx'

const VIEWS = [
  { path: 'node', label: 'Node' },
  { path: 'provider', label: 'Provider' },
  { path: 'requester', label: 'Requester' },
  { path: 'agreements', label: 'Agreements' },
  { path: 'activities', label: 'Activities' },
  { path: 'payments', label: 'Payments' },
  { path: 'custody', label: 'Data custody' },
  { path: 'earnings', label: 'Earnings' }
] as const

function useRoute(): string[] {
  const parse = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter(part => part !== '')
      .map(decodeURIComponent)
  const [route, setRoute] = useState(parse)
  useEffect(() => {
    const changed = () => setRoute(parse())
    addEventListener('hashchange', changed)
    return () => removeEventListener('hashchange', changed)
  }, [])
  return route
}

// The Node view needs nothing from the session, so it loads beside it (a faster first render);
// the others wait for the session, which names this node.
function View({ route, session }: { route: string[]; session: Session | null }) {
  const [name, id] = route
  if (name === undefined || name === 'node') return <NodeView />
  if (session === null) return <p aria-busy="true">Loading…</p>
  switch (name) {
    case 'provider':
      return <ProviderView />
    case 'requester':
      return <RequesterView nodeId={session.nodeId} />
    case 'agreements':
      return id === undefined ? <AgreementsView /> : <AgreementView id={id} />
    case 'activities':
      return id === undefined ? <ActivitiesView /> : <ActivityView id={id} />
    case 'payments':
      return <PaymentsView nodeId={session.nodeId} />
    case 'debit-notes':
      return id === undefined ? <PaymentsView nodeId={session.nodeId} /> : <DebitNoteView id={id} nodeId={session.nodeId} />
    case 'invoices':
      return id === undefined ? <PaymentsView nodeId={session.nodeId} /> : <InvoiceView id={id} nodeId={session.nodeId} />
    case 'custody':
      return <CustodyView />
    case 'earnings':
      return <EarningsView nodeId={session.nodeId} />
    default:
      return <NodeView />
  }
}

function App() {
  const [session, setSession] = useState<Session | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const route = useRoute()
  useEffect(() => {
    loadSession().then(setSession, (err: unknown) =>
      setProblem(
        err instanceof ApiFailure && err.status === 401
          ? 'Not logged in. Run `agora dashboard` on the daemon’s machine and open the link it prints.'
          : `The daemon did not answer: ${err instanceof Error ? err.message : String(err)}`
      )
    )
  }, [])
  // A document's detail belongs to the Payments view.
  const current = route[0] === 'debit-notes' || route[0] === 'invoices' ? 'payments' : (route[0] ?? 'node')
  return (
    <>
      <header>
        <h1>Agora</h1>
        {session === null ? null : (
          <p class="who">
            as <strong>{session.appKey.name}</strong>
          </p>
        )}
      </header>
      <nav aria-label="Views">
        <ul>
          {VIEWS.map(view => (
            <li key={view.path}>
              <a href={`#/${view.path}`} aria-current={current === view.path ? 'page' : undefined}>
                {view.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="view">{problem !== null ? <p role="alert">{problem}</p> : <View route={route} session={session} />}</main>
    </>
  )
}

const root = document.getElementById('app')
if (root !== null) render(<App />, root)
