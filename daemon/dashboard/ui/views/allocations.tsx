// The requester's allocations: total, spent and remaining, spend over time as
// a chart, and releasing one (after a confirmation).
import { useState } from 'preact/hooks'
import { del, get } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'
import { LineChart } from './line-chart.tsx'

interface Allocation {
  allocationId: string
  paymentPlatform: string
  totalAmount: string
  spentAmount: string
  remainingAmount: string
  timestamp: string
  timeout?: string
  makeDeposit: boolean
}

// The API holds an allocation's spend now, not its history: the page keeps
// each reading it takes (it reloads on every payment event, which is when
// spend changes), from zero at the allocation's creation. The history lasts
// while the page is open.
const readings = new Map<string, Array<[number, number]>>()

function record(allocation: Allocation): Array<[number, number]> {
  const seen = readings.get(allocation.allocationId) ?? [[Date.parse(allocation.timestamp) / 1000, 0]]
  const spent = Number(allocation.spentAmount)
  if (seen.at(-1)?.[1] !== spent) seen.push([Math.max(Date.now() / 1000, (seen.at(-1)?.[0] ?? 0) + 0.001), spent])
  readings.set(allocation.allocationId, seen)
  return seen
}

const PAYMENT = '/payment-api/v1'

export function AllocationsSection({ version }: { version: unknown[] }) {
  const [released, setReleased] = useState(0)
  const [problem, setProblem] = useState<string | null>(null)
  const loaded = useLoaded(signal => get<Allocation[]>(`${PAYMENT}/allocations`, signal), [...version, released])
  const release = (allocation: Allocation) => {
    if (!window.confirm(`Release allocation ${allocation.allocationId}? Its remaining ${allocation.remainingAmount} goes back to the account.`)) return
    del(`${PAYMENT}/allocations/${encodeURIComponent(allocation.allocationId)}`).then(
      () => {
        setProblem(null)
        setReleased(n => n + 1)
      },
      (err: unknown) => setProblem(err instanceof Error ? err.message : String(err))
    )
  }
  return (
    <>
      <h3 id="allocations-title">Allocations</h3>
      {problem === null ? null : <p role="alert">{problem}</p>}
      <Frame loaded={loaded}>
        {allocations =>
          allocations.length === 0 ? (
            <Empty what="allocations" />
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Allocations</caption>
                <thead>
                  <tr>
                    <th scope="col">Allocation</th>
                    <th scope="col">Platform</th>
                    <th scope="col">Total</th>
                    <th scope="col">Spent</th>
                    <th scope="col">Remaining</th>
                    <th scope="col">Made</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {allocations.map(allocation => (
                    <tr key={allocation.allocationId} data-allocation-id={allocation.allocationId}>
                      <td>
                        <code title={allocation.allocationId}>{allocation.allocationId.slice(0, 12)}</code>
                      </td>
                      <td>{allocation.paymentPlatform}</td>
                      <td class="number">{allocation.totalAmount}</td>
                      <td class="number">{allocation.spentAmount}</td>
                      <td class="number">{allocation.remainingAmount}</td>
                      <td>{when(allocation.timestamp)}</td>
                      <td>
                        <button type="button" class="danger" onClick={() => release(allocation)} aria-label={`Release allocation ${allocation.allocationId}`}>
                          Release…
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {allocations.map(allocation => {
                const seen = record(allocation)
                return (
                  <figure key={allocation.allocationId} class="spend" data-allocation-id={allocation.allocationId}>
                    <figcaption>
                      Spent from <code>{allocation.allocationId.slice(0, 12)}</code> (of {allocation.totalAmount})
                    </figcaption>
                    <LineChart
                      times={seen.map(([at]) => at)}
                      lines={[{ label: 'Spent', stroke: '#b3261e' }]}
                      values={[seen.map(([, spent]) => spent)]}
                      label={`Tokens spent from allocation ${allocation.allocationId} over time`}
                      unit="tokens"
                    />
                  </figure>
                )
              })}
            </>
          )
        }
      </Frame>
    </>
  )
}
