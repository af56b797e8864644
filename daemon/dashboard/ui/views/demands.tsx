// The demands this node subscribed, each with its proposals (read without
// taking them from the demand's event queue, which belongs to the client that
// subscribed) and why the offers it knows do or do not match (the explain
// route: a read-only count, nothing subscribed).
import { useEffect, useState } from 'preact/hooks'
import { get, post } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'

interface Demand {
  demandId: string
  requestorId: string
  properties: Record<string, unknown>
  constraints: string
  timestamp: string
}

interface Proposal {
  proposalId: string
  issuerId: string
  state: string
  timestamp: string
  prevProposalId?: string
}

interface TermCount {
  constraint: string
  excluded: number
  undefinedCount: number
}

interface Explanation {
  offersKnown: number
  matching: number
  demandConstraints: TermCount[]
  offerConstraints: TermCount[]
}

interface DemandFacts {
  demand: Demand
  proposals: Proposal[]
  explanation: Explanation | { failed: string }
}

const MARKET = '/market-api/v1'

async function loadDemands(signal: AbortSignal): Promise<DemandFacts[]> {
  const demands = await get<Demand[]>(`${MARKET}/demands`, signal)
  return await Promise.all(
    demands.map(async demand => {
      const [proposals, explanation] = await Promise.all([
        get<Proposal[]>(`/agora-api/v1/market/demands/${encodeURIComponent(demand.demandId)}/proposals`, signal),
        post<Explanation>('/agora-api/v1/market/explain', { properties: demand.properties, constraints: demand.constraints }).catch((err: unknown) => ({
          failed: err instanceof Error ? err.message : String(err)
        }))
      ])
      return { demand, proposals, explanation }
    })
  )
}

// Proposals come with no event this page may follow (the demand's own events
// belong to its subscriber): a look every 10 s finds them.
const PROPOSALS_REFRESH_MS = 10_000

export function DemandsSection({ version }: { version: unknown[] }) {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick(n => n + 1), PROPOSALS_REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  const loaded = useLoaded(loadDemands, [...version, tick])
  return (
    <>
      <h3 id="demands-title">Demands</h3>
      <Frame loaded={loaded}>
        {all => (all.length === 0 ? <Empty what="demands subscribed" /> : all.map(facts => <DemandBlock key={facts.demand.demandId} facts={facts} />))}
      </Frame>
    </>
  )
}

function DemandBlock({ facts: { demand, proposals, explanation } }: { facts: DemandFacts }) {
  return (
    <article class="demand" data-demand-id={demand.demandId} aria-label={`Demand ${demand.demandId}`}>
      <h4>
        Demand <code title={demand.demandId}>{demand.demandId.slice(0, 12)}</code> <span class="count">since {when(demand.timestamp)}</span>
      </h4>
      <p>
        Constraints: <code>{demand.constraints}</code>
      </p>
      {'failed' in explanation ? <p role="status">The match could not be explained: {explanation.failed}</p> : <Why explanation={explanation} />}
      {proposals.length === 0 ? (
        <Empty what="proposals" />
      ) : (
        <table class="proposals">
          <caption class="visually-hidden">Proposals of demand {demand.demandId}</caption>
          <thead>
            <tr>
              <th scope="col">Proposal</th>
              <th scope="col">From</th>
              <th scope="col">State</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {proposals.map(proposal => (
              <tr key={proposal.proposalId} data-proposal-id={proposal.proposalId}>
                <td>
                  <code title={proposal.proposalId}>{proposal.proposalId.slice(0, 12)}</code>
                </td>
                <td>{proposal.issuerId === demand.requestorId ? 'this node' : <code title={proposal.issuerId}>{proposal.issuerId.slice(0, 12)}</code>}</td>
                <td>{proposal.state}</td>
                <td>{when(proposal.timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  )
}

function Why({ explanation }: { explanation: Explanation }) {
  const failing = [
    ...explanation.demandConstraints.map(term => ({ ...term, side: 'demand' })),
    ...explanation.offerConstraints.map(term => ({ ...term, side: 'offer' }))
  ]
    .filter(term => term.excluded > 0)
    .sort((a, b) => b.excluded - a.excluded)
  return (
    <div class="why">
      <p class="match-count">
        {explanation.matching} of {explanation.offersKnown} offers known match.
      </p>
      {failing.length === 0 ? null : (
        <ul class="plain">
          {failing.map(term => (
            <li key={`${term.side} ${term.constraint}`}>
              the {term.side}’s <code>{term.constraint}</code> excludes {term.excluded}
              {term.undefinedCount > 0 ? ` (${term.undefinedCount} lack the property)` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
