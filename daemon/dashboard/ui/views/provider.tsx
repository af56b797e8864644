// The Provider view: what the provider agent offers now, and what it earned
// (GET /agora-api/v1/provider/status), refreshed on the agreement and payment events.
import { get } from '../api.ts'
import { ApiFailure } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'
import { PagedTable } from './paged-table.tsx'

interface ProviderStatus {
  offering: boolean
  reason?: string
  offers: Array<{
    offerId: string
    preset: string
    runtime: string
    expiresAt: string
    pricing: { startingFee: string; envPerHour: string; cpuPerHour: string }
  }>
  unpublished: Array<{ preset: string; reason: string }>
  agreements: Record<string, number>
  activitiesRunning: number
  earnings: { requested: string; accepted: string; paid: string; pending: string }
}

// The issued-documents poll too: what the provider requests grows with each document it issues.
const CHANGES = ['/market-api/v1/agreementEvents', '/payment-api/v1/debitNoteEvents', '/payment-api/v1/invoiceEvents', '/agora-api/v1/payment/issuedEvents']

async function loadStatus(signal: AbortSignal): Promise<ProviderStatus | null> {
  try {
    return await get<ProviderStatus>('/agora-api/v1/provider/status', signal)
  } catch (err) {
    // A daemon without the provider agent has no such route.
    if (err instanceof ApiFailure && err.status === 404) return null
    throw err
  }
}

export function ProviderView() {
  const changes = useEventCount(CHANGES)
  const loaded = useLoaded(loadStatus, [changes])
  return (
    <section aria-labelledby="provider-title">
      <h2 id="provider-title">Provider</h2>
      <Frame loaded={loaded}>
        {status => {
          if (status === null) return <p class="empty">This node does not run the provider agent.</p>
          return (
            <>
              <dl class="facts">
                <dt>Offering</dt>
                <dd id="provider-offering">{status.offering ? 'yes' : `no${status.reason === undefined ? '' : `: ${status.reason}`}`}</dd>
                <dt>Activities running</dt>
                <dd>{status.activitiesRunning}</dd>
                <dt>Agreements</dt>
                <dd>
                  {Object.keys(status.agreements).length === 0
                    ? 'none'
                    : Object.entries(status.agreements)
                        .map(([state, count]) => `${state} ${count}`)
                        .join(', ')}
                </dd>
                <dt>Requested</dt>
                <dd class="number">{status.earnings.requested}</dd>
                <dt>Accepted</dt>
                <dd class="number">{status.earnings.accepted}</dd>
                <dt>Paid</dt>
                <dd class="number" id="provider-paid">
                  {status.earnings.paid}
                </dd>
                <dt>Pending</dt>
                <dd class="number">{status.earnings.pending}</dd>
              </dl>
              <h3>Live offers</h3>
              {status.offers.length === 0 ? (
                <Empty what="live offers" />
              ) : (
                <PagedTable
                  name="offers"
                  caption="Live offers"
                  rows={status.offers}
                  text={offer => `${offer.offerId} ${offer.preset} ${offer.runtime}`}
                  head={
                    <tr>
                      <th scope="col">Preset</th>
                      <th scope="col">Runtime</th>
                      <th scope="col">Start fee</th>
                      <th scope="col">Env / h</th>
                      <th scope="col">CPU / h</th>
                      <th scope="col">Expires</th>
                    </tr>
                  }
                  row={offer => (
                    <tr key={offer.offerId} data-offer-id={offer.offerId}>
                      <td>{offer.preset}</td>
                      <td>{offer.runtime}</td>
                      <td class="number">{offer.pricing.startingFee}</td>
                      <td class="number">{offer.pricing.envPerHour}</td>
                      <td class="number">{offer.pricing.cpuPerHour}</td>
                      <td>{when(offer.expiresAt)}</td>
                    </tr>
                  )}
                />
              )}
              {status.unpublished.length === 0 ? null : (
                <>
                  <h3>Presets not offered</h3>
                  <PagedTable
                    name="unpublished"
                    caption="Presets not offered"
                    rows={status.unpublished}
                    text={preset => `${preset.preset} ${preset.reason}`}
                    head={
                      <tr>
                        <th scope="col">Preset</th>
                        <th scope="col">Why not</th>
                      </tr>
                    }
                    row={preset => (
                      <tr key={preset.preset}>
                        <td>{preset.preset}</td>
                        <td>{preset.reason}</td>
                      </tr>
                    )}
                  />
                </>
              )}
            </>
          )
        }}
      </Frame>
    </section>
  )
}
