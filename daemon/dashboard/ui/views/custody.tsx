// The Data custody view: the datasets this node holds for its owner, the
// policy each one is under, and the audit log — what was decided, allowed or
// denied, and why. None of it has an event stream; the log grows when a
// dataset is used, so a look every 15 s follows it.
import { useEffect, useState } from 'preact/hooks'
import { ApiFailure, get } from '../api.ts'
import { bytes, when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame, IdLink } from './common.tsx'
import { PagedTable } from './paged-table.tsx'

interface Dataset {
  name: string
  kind: string
  description: string
  tags: string[]
  rows: number
  bytes: number
  price: { perUse: string; perHour: string }
  addedAt: string
  policy: string
}

interface Policy {
  dataset: string
  file: string
  inForce: boolean
  summary: string
}

interface AuditEntry {
  seq: number
  at: string
  kind: string
  dataset?: string
  requesterId?: string
  agreementId?: string
  activityId?: string
  allow?: boolean
  reasons?: Array<{ rule: string; message: string }>
  detail?: Record<string, string | number | boolean | null>
}

interface Custody {
  datasets: Dataset[]
  policies: Policy[]
  audit: AuditEntry[]
}

const CUSTODY = '/agora-api/v1/custody'
const REFRESH_MS = 15_000
// The newest entries shown (the route answers them oldest first).
const AUDIT_SHOWN = 200

/** The custody routes, or null when this daemon has no custody module (they answer 404). */
async function loadCustody(signal: AbortSignal): Promise<Custody | null> {
  try {
    const [datasets, policies, audit] = await Promise.all([
      get<Dataset[]>(`${CUSTODY}/datasets`, signal),
      get<Policy[]>(`${CUSTODY}/policies`, signal),
      get<AuditEntry[]>(`${CUSTODY}/audit?limit=${AUDIT_SHOWN}`, signal)
    ])
    return { datasets, policies, audit: [...audit].reverse() }
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return null
    throw err
  }
}

export function CustodyView() {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick(n => n + 1), REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  const loaded = useLoaded(loadCustody, [tick])
  return (
    <section aria-labelledby="custody-title">
      <h2 id="custody-title">Data custody</h2>
      <Frame loaded={loaded}>
        {custody =>
          custody === null ? (
            <p class="empty">This daemon keeps no data in custody (its custody module is off).</p>
          ) : (
            <>
              <Datasets datasets={custody.datasets} policies={custody.policies} />
              <Audit entries={custody.audit} />
            </>
          )
        }
      </Frame>
    </section>
  )
}

function Datasets({ datasets, policies }: { datasets: Dataset[]; policies: Policy[] }) {
  const policyOf = new Map(policies.map(policy => [policy.dataset, policy]))
  return (
    <>
      <h3>Datasets</h3>
      {datasets.length === 0 ? (
        <p class="empty">No datasets in custody: `agora data add` adds one.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Datasets in custody</caption>
          <thead>
            <tr>
              <th scope="col">Dataset</th>
              <th scope="col">Kind</th>
              <th scope="col">Rows</th>
              <th scope="col">Size</th>
              <th scope="col">Price per use / hour</th>
              <th scope="col">Policy</th>
              <th scope="col">Added</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map(dataset => {
              const policy = policyOf.get(dataset.name)
              return (
                <tr key={dataset.name} data-dataset={dataset.name}>
                  <td>
                    <strong>{dataset.name}</strong>
                    {dataset.description === '' ? null : <div class="count">{dataset.description}</div>}
                  </td>
                  <td>{dataset.kind}</td>
                  <td class="number">{dataset.rows}</td>
                  <td class="number">{bytes(dataset.bytes)}</td>
                  <td class="number">
                    {dataset.price.perUse} / {dataset.price.perHour}
                  </td>
                  <td class="policy">
                    {dataset.policy}
                    {policy === undefined ? null : (
                      <div class="count">
                        {policy.inForce ? 'in force from' : 'not in force:'} <code>{policy.file}</code>
                      </div>
                    )}
                  </td>
                  <td>{when(dataset.addedAt)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </>
  )
}

function Audit({ entries }: { entries: AuditEntry[] }) {
  return (
    <>
      <h3>Audit log</h3>
      {entries.length === 0 ? (
        <Empty what="audit entries" />
      ) : (
        <PagedTable
          name="audit"
          caption="Audit log, newest first"
          rows={entries}
          text={entry =>
            `${entry.kind} ${entry.dataset ?? ''} ${entry.requesterId ?? ''} ${entry.agreementId ?? ''} ${entry.allow === undefined ? '' : entry.allow ? 'allowed' : 'denied'} ${(entry.reasons ?? []).map(reason => `${reason.rule} ${reason.message}`).join(' ')}`
          }
          head={
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Dataset</th>
              <th scope="col">Requester</th>
              <th scope="col">Decision</th>
              <th scope="col">Why</th>
            </tr>
          }
          row={entry => (
            <tr key={entry.seq} data-audit-seq={entry.seq} data-kind={entry.kind}>
              <td class="number">{entry.seq}</td>
              <td>{when(entry.at)}</td>
              <td>
                {entry.kind}
                {entry.agreementId === undefined ? null : (
                  <div>
                    <IdLink href={`#/agreements/${entry.agreementId}`} id={entry.agreementId} />
                  </div>
                )}
                {entry.activityId === undefined ? null : (
                  <div>
                    <IdLink href={`#/activities/${entry.activityId}`} id={entry.activityId} />
                  </div>
                )}
              </td>
              <td>{entry.dataset ?? '—'}</td>
              <td>{entry.requesterId === undefined ? '—' : <code title={entry.requesterId}>{entry.requesterId.slice(0, 12)}</code>}</td>
              <td class={entry.allow === false ? 'denied' : undefined}>{entry.allow === undefined ? '—' : entry.allow ? 'allowed' : 'denied'}</td>
              <td>
                {entry.reasons === undefined || entry.reasons.length === 0
                  ? detailText(entry.detail)
                  : entry.reasons.map(reason => (
                      <div key={reason.rule}>
                        <code>{reason.rule}</code>: {reason.message}
                      </div>
                    ))}
              </td>
            </tr>
          )}
        />
      )}
    </>
  )
}

function detailText(detail: AuditEntry['detail']): string {
  if (detail === undefined) return '—'
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ')
}
