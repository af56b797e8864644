// rent(): from options to a started activity. The options are checked whole
// first; the budget is added to the connection's allocation, the demand made
// from it, a provider found by negotiation, its agreement handed to the payment
// guard, and the activity created and deployed. Whatever fails on the way is
// undone (agreement terminated, budget given back) before the error reaches the caller.
import type { Clock } from '../../net/kernel.ts'
import type { ApiClient } from '../client/api-client.ts'
import type { SdkAllocation } from '../payments/shared-allocation.ts'
import type { PaymentGuard } from '../payments/payment-guard.ts'
import type { RentOptions } from '../types.ts'
import type { AgreementWatch } from './agreement-watch.ts'
import { runBatch } from './batch.ts'
import { budgetOf, checkRentOptions, demandOf } from './demand.ts'
import { servedImage } from './image.ts'
import { negotiate } from './negotiation.ts'
import { withRentReport } from './failed-rent.ts'
import { AgoraRental, handedOver } from './rental.ts'

/** How long the provider may take to create the activity (s). */
const CREATE_WAIT_S = 60

export interface RentComponents {
  readonly api: ApiClient
  readonly clock: Clock
  readonly guard: PaymentGuard
  readonly watch: AgreementWatch
  /** The connection's allocation for the platform, grown by `budget` (base units). */
  readonly allocationFor: (platform: string | undefined, budget: bigint) => Promise<SdkAllocation>
  readonly onReleased: (rental: AgoraRental) => void
}

export async function rent(components: RentComponents, given: RentOptions): Promise<AgoraRental> {
  checkRentOptions(given)
  const { api, clock, guard, watch } = components
  // A local image is offered by the daemon (named by its digest) before any budget is reserved.
  const options: RentOptions = { ...given, image: await servedImage(api, given.runtime, given.image, given.signal) }
  const budget = budgetOf(options)
  const allocation = await components.allocationFor(options.paymentPlatform, budget)
  let agreementId: string | undefined
  let undone = false
  try {
    watch.start()
    const { agreement, offer } = await negotiate({ api, clock }, demandOf(options, allocation, clock.now()), options)
    agreementId = agreement.agreementId
    let rental: AgoraRental | undefined
    // Debit notes may come while the activity deploys: the guard checks them from the start.
    guard.watch({
      agreement,
      allocationId: allocation.allocationId,
      budget,
      onAccepted: (cost, documentId) => rental?.dispatchEvent(new CustomEvent('cost', { detail: { cost, documentId } })),
      onRejected: (documentId, reason, message) =>
        rental?.dispatchEvent(new CustomEvent('rejected', { detail: message === undefined ? { documentId, reason } : { documentId, reason, message } }))
    })
    const lostEarly: { reason: string; code: string | undefined }[] = []
    watch.listen(agreement.agreementId, (reason, code) => (rental === undefined ? lostEarly.push({ reason, code }) : rental.markLost(reason, code)))
    const { activityId } = await api.call<{ activityId: string }>('POST', '/activity-api/v1/activity', {
      query: { timeout: CREATE_WAIT_S },
      body: { agreementId: agreement.agreementId },
      timeoutMs: CREATE_WAIT_S * 1000 + 15_000,
      ...(options.signal === undefined ? {} : { signal: options.signal })
    })
    rental = new AgoraRental({
      api,
      clock,
      guard,
      agreement,
      activityId,
      offer,
      runtime: options.runtime,
      onReleased: released => {
        watch.forget(released.agreementId)
        components.onReleased(released)
      }
    })
    try {
      await runBatch(api, activityId, [{ deploy: {} }, { start: { args: [] } }], options.signal)
    } catch (error) {
      const report = await rental.release({ timeoutMs: 5_000 })
      undone = true
      throw withRentReport(error, report)
    }
    for (const lost of lostEarly) rental.markLost(lost.reason, lost.code)
    return rental
  } catch (error) {
    if (undone) throw error
    if (agreementId !== undefined) {
      await api
        .call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, {
          body: { message: 'the activity could not start', 'golem.requestor.code': 'Cancelled' }
        })
        .catch(() => {})
      const settled = await guard.settle(agreementId, { timeoutMs: 5_000 }).catch(() => undefined)
      // No activity was made: an invoice can ask only what the agreement's notes justify.
      const report = settled === undefined || settled.invoiceId !== undefined ? settled : await handedOver(guard, settled, [])
      throw withRentReport(error, report)
    } else {
      // Nothing was agreed: the budget goes back.
      await allocation.grow(-budget).catch(() => {})
    }
    throw error
  }
}
