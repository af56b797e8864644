// The Activities view (the activities the debit notes bill, with their live
// usage and cost so far) and one activity's detail: its usage, its debit
// notes, and the batches this node sent it with their output as it streams.
import { useEffect, useState } from 'preact/hooks'
import { get } from '../api.ts'
import { duration, when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import type { Loaded } from '../hooks.ts'
import { USAGE_REFRESH_MS, isLive, readUsage } from '../usage.ts'
import type { Usage } from '../usage.ts'
import { BatchesSection } from './batches.tsx'
import { Empty, Frame, IdLink } from './common.tsx'
import { PagedTable } from './paged-table.tsx'
import { activitiesOf, useDocuments } from './payments.tsx'

/** Reads an activity's usage now and every USAGE_REFRESH_MS while it is live. */
function useUsage(activityId: string, agreementId: string): Loaded<Usage> {
  const [tick, setTick] = useState(0)
  const loaded = useLoaded(signal => readUsage(activityId, agreementId, signal), [activityId, agreementId, tick])
  const live = loaded.state !== 'ready' || isLive(loaded.value.state)
  useEffect(() => {
    if (!live) return
    const timer = setInterval(() => setTick(n => n + 1), USAGE_REFRESH_MS)
    return () => clearInterval(timer)
  }, [live])
  return loaded
}

function UsageCells({ activityId, agreementId }: { activityId: string; agreementId: string }) {
  const usage = useUsage(activityId, agreementId)
  if (usage.state !== 'ready') return <td colSpan={4}>{usage.state === 'loading' ? '…' : 'usage not readable'}</td>
  const { value } = usage
  return (
    <>
      <td class="activity-state">{value.state}</td>
      <td class="number">{value.durationSec === undefined ? '—' : duration(Math.round(value.durationSec))}</td>
      <td class="number">{value.cpuSec === undefined ? '—' : `${value.cpuSec.toFixed(1)} s`}</td>
      <td class="number">{value.memoryGib === undefined ? '—' : `${value.memoryGib.toFixed(3)} GiB`}</td>
    </>
  )
}

// Only the rows of the page shown read their usage (a page is at most PAGE_SIZE rows).
export function ActivitiesView() {
  const loaded = useDocuments()
  return (
    <section aria-labelledby="activities-title">
      <h2 id="activities-title">Activities</h2>
      <Frame loaded={loaded}>
        {({ debitNotes }) => {
          const rows = activitiesOf(debitNotes)
          if (rows.length === 0) return <Empty what="billed activities" />
          return (
            <PagedTable
              name="activities"
              caption="Activities"
              rows={rows}
              text={row => `${row.activityId} ${row.agreementId}`}
              head={
                <tr>
                  <th scope="col">Activity</th>
                  <th scope="col">Agreement</th>
                  <th scope="col">State</th>
                  <th scope="col">Duration</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory (peak)</th>
                  <th scope="col">Debit notes</th>
                  <th scope="col">Cost so far</th>
                  <th scope="col">Last note</th>
                </tr>
              }
              row={row => (
                <tr key={row.activityId} data-activity-id={row.activityId}>
                  <td>
                    <IdLink href={`#/activities/${row.activityId}`} id={row.activityId} />
                  </td>
                  <td>
                    <IdLink href={`#/agreements/${row.agreementId}`} id={row.agreementId} />
                  </td>
                  <UsageCells activityId={row.activityId} agreementId={row.agreementId} />
                  <td class="number">{row.notes}</td>
                  <td class="number">{row.lastDue}</td>
                  <td>{when(row.lastAt)}</td>
                </tr>
              )}
            />
          )
        }}
      </Frame>
    </section>
  )
}

interface ActivityFacts {
  agreementId: string
}

export function ActivityView({ id }: { id: string }) {
  const facts = useLoaded<ActivityFacts>(
    async signal => ({ agreementId: await get<string>(`/activity-api/v1/activity/${encodeURIComponent(id)}/agreement`, signal) }),
    [id]
  )
  const documents = useDocuments()
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">
        Activity <code>{id}</code>
      </h2>
      <p>
        <a href="#/activities">← All activities</a>
      </p>
      <Frame loaded={facts}>
        {({ agreementId }) => {
          const billed = documents.state === 'ready' ? activitiesOf(documents.value.debitNotes).find(row => row.activityId === id) : undefined
          return (
            <>
              <dl class="facts">
                <dt>Agreement</dt>
                <dd>
                  <IdLink href={`#/agreements/${agreementId}`} id={agreementId} />
                </dd>
                <dt>Cost so far</dt>
                <dd id="activity-cost">{billed === undefined ? '—' : `${billed.lastDue} (${billed.notes} debit notes, the last ${when(billed.lastAt)})`}</dd>
              </dl>
              <LiveUsage activityId={id} agreementId={agreementId} />
              <BatchesSection activityId={id} />
            </>
          )
        }}
      </Frame>
    </section>
  )
}

function LiveUsage({ activityId, agreementId }: { activityId: string; agreementId: string }) {
  const usage = useUsage(activityId, agreementId)
  return (
    <>
      <h3>Usage</h3>
      <Frame loaded={usage}>
        {value => (
          <dl class="facts usage" data-measured-at={value.measuredAt}>
            <dt>State</dt>
            <dd id="activity-state">{value.state}</dd>
            <dt>Duration</dt>
            <dd id="activity-duration" data-seconds={value.durationSec ?? ''}>
              {value.durationSec === undefined ? '—' : duration(Math.round(value.durationSec))}
            </dd>
            <dt>CPU</dt>
            <dd id="activity-cpu">{value.cpuSec === undefined ? '—' : `${value.cpuSec.toFixed(2)} s`}</dd>
            <dt>Memory (peak)</dt>
            <dd id="activity-memory">{value.memoryGib === undefined ? '—' : `${value.memoryGib.toFixed(3)} GiB`}</dd>
            <dt>Measured</dt>
            <dd>{new Date(value.measuredAt).toLocaleTimeString()}</dd>
          </dl>
        )}
      </Frame>
    </>
  )
}
