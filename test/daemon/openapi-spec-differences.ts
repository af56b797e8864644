// The deliberate differences of the daemon's OpenAPI document from the
// ya-client specs, each with its reason; docs/rest-api.md gives every reason
// word for word (openapi-spec.test.ts checks both).
export interface SpecDifference {
  reason: string
  differences: string[]
}

const M = '/market-api/v1'
const A = '/activity-api/v1'
const P = '/payment-api/v1'
/** Payment routes by kind of document. */
const DOCUMENTS = [
  ['debitNotes', 'debitNoteId'],
  ['invoices', 'invoiceId']
] as const
const DOCUMENT_ANSWERS = DOCUMENTS.flatMap(([path, id]) => [`POST ${P}/${path}/{${id}}/accept`, `POST ${P}/${path}/{${id}}/reject`])
const DOCUMENT_SENDS = DOCUMENTS.flatMap(([path, id]) => [`POST ${P}/${path}/{${id}}/send`, `POST ${P}/${path}/{${id}}/cancel`])
const DOCUMENT_PAYMENTS = DOCUMENTS.map(([path, id]) => `GET ${P}/${path}/{${id}}/payments`)
const ALLOCATION_ANSWERS = [`POST ${P}/allocations`, `GET ${P}/allocations/{allocationId}`, `PUT ${P}/allocations/{allocationId}`]
const DRIVER_STATUS_FIELDS = ['address', 'chainId', 'driver', 'kind', 'neededGasEst', 'neededTokenEst', 'network']
const DEPOSIT_FIELDS = ['deposit', 'deposit.contract', 'deposit.id', 'deposit.validate', 'extendTimeout']
const PLATFORM_OBJECT_FIELDS = ['paymentPlatform.driver', 'paymentPlatform.network', 'paymentPlatform.token']
const PAYMENT_LISTS = [`GET ${P}/payments`, ...DOCUMENT_PAYMENTS]
/** Activity routes by the spec's operation. */
const CREATE = `POST ${A}/activity`
const DESTROY = `DELETE ${A}/activity/{activityId}`
const EXEC = `POST ${A}/activity/{activityId}/exec`
const RESULTS = `GET ${A}/activity/{activityId}/exec/{batchId}`
const AGREEMENT = `GET ${A}/activity/{activityId}/agreement`
const STATE = `GET ${A}/activity/{activityId}/state`
const USAGE = `GET ${A}/activity/{activityId}/usage`
const COMMAND = `GET ${A}/activity/{activityId}/command`
const EVENTS = `GET ${A}/events`
/** The activity routes that reach the provider's node. */
const TO_PROVIDER = [CREATE, EXEC, RESULTS, AGREEMENT, DESTROY, STATE, USAGE, COMMAND]
const PROPERTY_QUERY_FIELDS = ['propertyQuery', 'propertyQuery.issuerProperties', 'propertyQuery.queriedProperties', 'propertyQuery.queryId']

/** Routes whose path or query parameters Agora checks (id shapes, bounds), where the spec lists no 400. */
const CHECKED_WITHOUT_SPEC_400 = [
  `GET ${M}/scan/{subscriptionId}/events`,
  `DELETE ${M}/scan/{subscriptionId}/events`,
  `DELETE ${M}/offers/{subscriptionId}`,
  `GET ${M}/offers/{subscriptionId}/events`,
  `GET ${M}/offers/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/offers/{subscriptionId}/proposals/{proposalId}/reject`,
  `DELETE ${M}/demands/{subscriptionId}`,
  `GET ${M}/demands/{subscriptionId}/events`,
  `GET ${M}/demands/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/demands/{subscriptionId}/proposals/{proposalId}/reject`,
  `GET ${M}/agreements/{agreementId}`,
  `POST ${M}/agreements/{agreementId}/cancel`,
  `POST ${M}/agreements/{agreementId}/confirm`,
  `POST ${M}/agreements/{agreementId}/wait`,
  `GET ${M}/agreementEvents`,
  `POST ${M}/agreements/{agreementId}/approve`,
  `POST ${M}/agreements/{agreementId}/reject`,
  `POST ${M}/agreements/{agreementId}/terminate`,
  DESTROY,
  EVENTS,
  STATE,
  USAGE,
  COMMAND,
  `GET ${P}/debitNotes`,
  `GET ${P}/debitNotes/{debitNoteId}`,
  `GET ${P}/debitNoteEvents`,
  `GET ${P}/invoices`,
  `GET ${P}/invoices/{invoiceId}`,
  `GET ${P}/invoiceEvents`,
  `GET ${P}/allocations/{allocationId}`,
  `PUT ${P}/allocations/{allocationId}`,
  `DELETE ${P}/allocations/{allocationId}`,
  `GET ${P}/payments`,
  `GET ${P}/payments/{paymentId}`,
  ...DOCUMENT_PAYMENTS,
  ...DOCUMENT_SENDS
]

/** Market routes that store something. */
const MARKET_STORES = [
  `POST ${M}/offers`,
  `DELETE ${M}/offers/{subscriptionId}`,
  `POST ${M}/offers/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/offers/{subscriptionId}/proposals/{proposalId}/reject`,
  `POST ${M}/demands`,
  `DELETE ${M}/demands/{subscriptionId}`,
  `POST ${M}/demands/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/demands/{subscriptionId}/proposals/{proposalId}/reject`,
  `POST ${M}/agreements`,
  `POST ${M}/agreements/{agreementId}/cancel`,
  `POST ${M}/agreements/{agreementId}/confirm`,
  `POST ${M}/agreements/{agreementId}/approve`,
  `POST ${M}/agreements/{agreementId}/reject`,
  `POST ${M}/agreements/{agreementId}/terminate`
]
/** Market routes that deliver to the other node before they answer. */
const MARKET_DELIVERS = [
  `POST ${M}/offers/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/demands/{subscriptionId}/proposals/{proposalId}`,
  `POST ${M}/agreements/{agreementId}/confirm`
]

export const SPEC_DIFFERENCES: SpecDifference[] = [
  {
    reason:
      'Agora checks path and query parameters (the shape of ids, the bounds of numbers) and answers 400 to a malformed one, also where the spec lists no 400.',
    differences: CHECKED_WITHOUT_SPEC_400.map(operation => `${operation}: status 400 not in the spec`)
  },
  {
    reason: 'Where a route takes no input at all, Agora has nothing to refuse and does not list the 400 the spec has.',
    differences: [`GET ${M}/offers`, `GET ${M}/demands`, 'GET /version/get', 'GET /me'].map(operation => `${operation}: status 400 missing`)
  },
  {
    reason: "A node holds a bounded number of subscriptions and scans: past the node's (or the app-key's) share, subscribing or beginning a scan answers 409.",
    differences: [`POST ${M}/scan`, `POST ${M}/offers`, `POST ${M}/demands`].map(operation => `${operation}: status 409 not in the spec`)
  },
  {
    reason: 'Market routes that store something list 507: the disk of the node is full, and nothing was stored.',
    differences: MARKET_STORES.map(operation => `${operation}: status 507 not in the spec`)
  },
  {
    reason:
      'counterProposalOffer, counterProposalDemand and confirmAgreement deliver to the other node before they answer: they list 408 (no answer in time), 502 (unreachable, or failed on its side) and 503 (it cannot serve now).',
    differences: MARKET_DELIVERS.flatMap(operation => ['408', '502', '503'].map(status => `${operation}: status ${status} not in the spec`))
  },
  {
    reason: 'Subscribing and counter-proposing list 413: an offer, demand or proposal over the limits once signed.',
    differences: [`POST ${M}/offers`, `POST ${M}/demands`, ...MARKET_DELIVERS.slice(0, 2)].map(operation => `${operation}: status 413 not in the spec`)
  },
  {
    reason: "createAgreement answers 404 when the proposal id names no offer proposal of one of this node's demands.",
    differences: [`POST ${M}/agreements: status 404 not in the spec`]
  },
  {
    reason: 'A scan of type demand returns demands (the broadcast ones this node knows); the spec lists offers only.',
    differences: [
      `GET ${M}/scan/{subscriptionId}/events: response field [].demandId not in the spec`,
      `GET ${M}/scan/{subscriptionId}/events: response field [].requestorId not in the spec`
    ]
  },
  {
    reason: 'Property queries (Market API capability level 2) are not supported, as in yagna: no PropertyQueryEvent, no queryReplyOffers or queryReplyDemands.',
    differences: [
      ...['offers', 'demands'].flatMap(kind =>
        PROPERTY_QUERY_FIELDS.map(field => `GET ${M}/${kind}/{subscriptionId}/events: response field [].${field} missing`)
      ),
      `POST ${M}/offers/{subscriptionId}/propertyQuery/{queryId}: not served`,
      `POST ${M}/demands/{subscriptionId}/propertyQuery/{queryId}: not served`
    ]
  },
  {
    reason:
      "collectOffers and collectDemands bring proposal and agreement events; the agreement's operation events (approved, rejected, cancelled, terminated) come from collectAgreementEvents, as in yagna.",
    differences: ['offers', 'demands'].map(kind => `GET ${M}/${kind}/{subscriptionId}/events: response field [].agreementId missing`)
  },
  {
    reason: 'endScan is also served at DELETE /market-api/v1/scan/{subscriptionId}, where earlier Agora clients call it.',
    differences: [`DELETE ${M}/scan/{subscriptionId}: not in the specs`]
  },
  {
    reason:
      'beginScan also takes a properties member, if it is empty: golem-js sends its scan as a demand body (properties: {}); any property in it is refused with 400.',
    differences: [`POST ${M}/scan: request field properties not in the spec`]
  },
  {
    reason: 'The activity API lists 401 on every route (the app-key check), which activity-api.yaml has only through its security scheme.',
    differences: [...TO_PROVIDER, EVENTS].map(operation => `${operation}: status 401 not in the spec`)
  },
  {
    reason: 'Activity calls that reach the provider list 502 (unreachable or failed on its side), 503 (at capacity) and 504 (no answer in time).',
    differences: TO_PROVIDER.flatMap(operation => ['502', '503', '504'].map(status => `${operation}: status ${status} not in the spec`))
  },
  {
    reason:
      'createActivity and DestroyActivity list 408 (no acknowledgement within timeout), createActivity and exec 409 (the activity or agreement in the wrong state), exec 507 (the storage the agreement grants is full), batch results 408 and 413 (results larger than the daemon assembles).',
    differences: [
      `${CREATE}: status 408 not in the spec`,
      `${DESTROY}: status 408 not in the spec`,
      `${CREATE}: status 409 not in the spec`,
      `${EXEC}: status 409 not in the spec`,
      `${EXEC}: status 507 not in the spec`,
      `${RESULTS}: status 408 not in the spec`,
      `${RESULTS}: status 413 not in the spec`
    ]
  },
  {
    reason: 'callEncrypted and SetActivityState are not served: Agora runs no SGX exe-units, and an exe-unit sets its own state.',
    differences: [`POST ${A}/activity/{activityId}/encrypted: not served`, `PUT ${A}/activity/{activityId}/state: not served`]
  },
  {
    reason: "Batch results and CollectActivityEvents take pollTimeout beside the spec's timeout.",
    differences: [RESULTS, EVENTS].map(operation => `${operation}: parameter query pollTimeout not in the spec`)
  },
  {
    reason: "CollectActivityEvents lists no 403 (every app-key may read its own node's feed) and sends no requestorPubKey (Agora runs no SGX exe-units).",
    differences: [`${EVENTS}: status 403 missing`, `${EVENTS}: response field [].requestorPubKey missing`]
  },
  {
    reason: "getActivityAgreement lists no 403: the provider's own daemon may read the agreement of an activity it runs for another requestor.",
    differences: [`${AGREEMENT}: status 403 missing`]
  },
  {
    reason: "GET /version/get names Agora's own version in an extra field, agora, beside the yagna API version it serves.",
    differences: ['GET /version/get: response field current.agora not in the spec', 'GET /version/get: response field pending.agora not in the spec']
  },
  {
    reason:
      'The payment documents are issued and sent by the daemon itself, and answers to them are stored and delivered by it too: accepting, rejecting, sending and cancelling never wait for the other node, and list no 504.',
    differences: [...DOCUMENT_ANSWERS, ...DOCUMENT_SENDS].map(operation => `${operation}: status 504 missing`)
  },
  {
    reason:
      "Accepting and rejecting list 403 (a document this node issued, not received), 409 (more than the allocation holds, or the document's state does not allow it), 410 (the allocation released) and 503 (the payment module or the chain cannot serve now).",
    differences: DOCUMENT_ANSWERS.flatMap(operation => ['403', '409', '410', '503'].map(status => `${operation}: status ${status} not in the spec`))
  },
  {
    reason: 'acceptDebitNote takes no autoAcceptTo: the requester accepts each debit note itself.',
    differences: [`POST ${P}/debitNotes/{debitNoteId}/accept: request field autoAcceptTo missing`]
  },
  {
    reason:
      'createAllocation lists 404 (an unknown payment platform), 409 (the balance, less the other live allocations, does not cover it) and 503 (the chain cannot be reached); amendAllocation 409 (below what was spent), 410 (released) and 503.',
    differences: [
      ...['404', '409', '503'].map(status => `POST ${P}/allocations: status ${status} not in the spec`),
      ...['409', '410', '503'].map(status => `PUT ${P}/allocations/{allocationId}: status ${status} not in the spec`)
    ]
  },
  {
    reason:
      'Allocations take no deposit or extendTimeout (the escrow opens its own deposits for the providers of the agreements), and name their payment platform as a string (erc20-<network>-<token>); a platform given as an object is taken.',
    differences: [
      ...[`POST ${P}/allocations`, `PUT ${P}/allocations/{allocationId}`].flatMap(operation =>
        (operation.startsWith('POST') ? DEPOSIT_FIELDS : ['deposit', 'deposit.validate']).map(field => `${operation}: request field ${field} missing`)
      ),
      ...[`GET ${P}/allocations`].flatMap(operation =>
        [...DEPOSIT_FIELDS, ...PLATFORM_OBJECT_FIELDS].map(field => `${operation}: response field [].${field} missing`)
      ),
      ...ALLOCATION_ANSWERS.flatMap(operation => [...DEPOSIT_FIELDS, ...PLATFORM_OBJECT_FIELDS].map(field => `${operation}: response field ${field} missing`))
    ]
  },
  {
    reason: 'getDemandDecorations answers 404 for an allocation id this node does not know and 410 for a released allocation.',
    differences: ['404', '410'].map(status => `GET ${P}/demandDecorations: status ${status} not in the spec`)
  },
  {
    reason: 'The payments of a debit note or invoice answer 404 when this node has no such document.',
    differences: DOCUMENT_PAYMENTS.map(operation => `${operation}: status 404 not in the spec`)
  },
  {
    reason: "A payment's agreement and activity shares carry no allocationId: one payment may settle documents accepted against several allocations.",
    differences: [
      ...PAYMENT_LISTS.flatMap(operation =>
        ['activityPayments', 'agreementPayments'].map(field => `${operation}: response field [].${field}.[].allocationId missing`)
      ),
      ...['activityPayments', 'agreementPayments'].map(field => `GET ${P}/payments/{paymentId}: response field ${field}.[].allocationId missing`)
    ]
  },
  {
    reason:
      "No DebitNotePaymentStatusEvent or InvoicePaymentStatusEvent is sent: the driver's problems are in paymentsStatus, the balances in Agora's payment status.",
    differences: ['debitNoteEvents', 'invoiceEvents'].flatMap(path =>
      ['property', ...DRIVER_STATUS_FIELDS.map(field => `property.${field}`)].map(field => `GET ${P}/${path}: response field [].${field} missing`)
    )
  }
]
