// The Payment API's request and response schemas (ya-client payment-api.yaml),
// named and shaped as the spec names them. Amounts are decimal strings here and
// parsed strictly by the handlers (parseAmount), which name the field refused.
import Type from 'typebox'
import { ErrorMessage, errorResponses } from './schemas.ts'

/** Ids of allocations, documents, payments and deposits (0x hex or other short tokens). */
export const PaymentId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
export const AllocationParams = Type.Object({ allocationId: PaymentId })
export const DebitNoteParams = Type.Object({ debitNoteId: PaymentId })
export const InvoiceParams = Type.Object({ invoiceId: PaymentId })
export const PaymentParams = Type.Object({ paymentId: PaymentId })

/** A decimal amount of whole tokens ("1.5"); its digits are checked by the handler. */
const Amount = Type.String({ maxLength: 100, description: 'decimal amount of whole tokens, such as "1.5" (at most 18 decimals)' })
const Time = Type.String({ format: 'date-time', maxLength: 64 })
const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })
const Platform = Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'erc20-<network>-<token>, or an alias of it' })
const ReadOnlyText = Type.String({ maxLength: 100, description: 'read-only: taken and ignored' })

/** Answers with no body (the spec's `OK` response, which has no content). */
export const Ok = { type: 'null', description: 'OK' }

export const DocumentStatus = Type.Union([
  Type.Literal('ISSUED'),
  Type.Literal('RECEIVED'),
  Type.Literal('ACCEPTED'),
  Type.Literal('REJECTED'),
  Type.Literal('FAILED'),
  Type.Literal('SETTLED'),
  Type.Literal('CANCELLED')
])
export const RejectionReason = Type.Union([Type.Literal('UNSOLICITED_SERVICE'), Type.Literal('BAD_SERVICE'), Type.Literal('INCORRECT_AMOUNT')])

export const PaymentPlatform = Type.Object(
  {
    driver: Type.Optional(Type.String({ maxLength: 32 })),
    network: Type.Optional(Type.String({ maxLength: 64 })),
    token: Type.Optional(Type.String({ maxLength: 32 }))
  },
  { additionalProperties: false }
)

export const NewAllocationBody = Type.Object(
  {
    allocationId: Type.Optional(ReadOnlyText),
    address: Type.Optional(Address),
    paymentPlatform: Type.Optional(Type.Union([Platform, PaymentPlatform])),
    totalAmount: Amount,
    spentAmount: Type.Optional(ReadOnlyText),
    remainingAmount: Type.Optional(ReadOnlyText),
    timestamp: Type.Optional(ReadOnlyText),
    timeout: Type.Optional(Time),
    makeDeposit: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)
export const AllocationUpdateBody = Type.Object({ totalAmount: Type.Optional(Amount), timeout: Type.Optional(Time) }, { additionalProperties: false })

export const Allocation = Type.Object({
  allocationId: Type.String(),
  address: Type.String(),
  paymentPlatform: Type.String(),
  totalAmount: Type.String(),
  spentAmount: Type.String(),
  remainingAmount: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  timeout: Type.Optional(Type.String({ format: 'date-time' })),
  makeDeposit: Type.Boolean()
})

export const DebitNote = Type.Object({
  debitNoteId: Type.String(),
  issuerId: Type.String(),
  recipientId: Type.String(),
  payeeAddr: Type.String(),
  payerAddr: Type.String(),
  paymentPlatform: Type.String(),
  previousDebitNoteId: Type.Optional(Type.String()),
  timestamp: Type.String({ format: 'date-time' }),
  agreementId: Type.String(),
  activityId: Type.String(),
  totalAmountDue: Type.String(),
  usageCounterVector: Type.Array(Type.Number(), { description: 'the usage counters priced, in golem.com.usage.vector order' }),
  paymentDueDate: Type.Optional(Type.String({ format: 'date-time' })),
  status: DocumentStatus
})

export const Invoice = Type.Object({
  invoiceId: Type.String(),
  issuerId: Type.String(),
  recipientId: Type.String(),
  payeeAddr: Type.String(),
  payerAddr: Type.String(),
  paymentPlatform: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  agreementId: Type.String(),
  activityIds: Type.Array(Type.String()),
  amount: Type.String(),
  paymentDueDate: Type.String({ format: 'date-time' }),
  status: DocumentStatus
})

export const AcceptanceBody = Type.Object({ totalAmountAccepted: Amount, allocationId: PaymentId }, { additionalProperties: false })
export const RejectionBody = Type.Object(
  { rejectionReason: RejectionReason, totalAmountAccepted: Amount, message: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false }
)
const Rejection = Type.Object({ rejectionReason: RejectionReason, totalAmountAccepted: Type.String(), message: Type.Optional(Type.String()) })

export const DebitNoteEvent = Type.Object({
  eventType: Type.Union([
    Type.Literal('DebitNoteReceivedEvent'),
    Type.Literal('DebitNoteAcceptedEvent'),
    Type.Literal('DebitNoteRejectedEvent'),
    Type.Literal('DebitNoteCancelledEvent'),
    Type.Literal('DebitNoteSettledEvent'),
    Type.Literal('DebitNoteFailedEvent')
  ]),
  eventDate: Type.String({ format: 'date-time' }),
  debitNoteId: Type.String(),
  rejection: Type.Optional(Rejection)
})
export const InvoiceEvent = Type.Object({
  eventType: Type.Union([
    Type.Literal('InvoiceReceivedEvent'),
    Type.Literal('InvoiceAcceptedEvent'),
    Type.Literal('InvoiceRejectedEvent'),
    Type.Literal('InvoiceCancelledEvent'),
    Type.Literal('InvoiceSettledEvent'),
    Type.Literal('InvoiceFailedEvent')
  ]),
  eventDate: Type.String({ format: 'date-time' }),
  invoiceId: Type.String(),
  rejection: Type.Optional(Rejection)
})

/** Agora's: a debit note or invoice this node issued (GET /agora-api/v1/payment/issuedEvents). */
export const IssuedEvent = Type.Object({
  eventType: Type.Union([Type.Literal('DebitNoteIssuedEvent'), Type.Literal('InvoiceIssuedEvent')]),
  eventDate: Type.String({ format: 'date-time' }),
  agreementId: Type.String(),
  debitNoteId: Type.Optional(Type.String({ description: 'set on a DebitNoteIssuedEvent' })),
  invoiceId: Type.Optional(Type.String({ description: 'set on an InvoiceIssuedEvent' }))
})

/** Agora's: the rejection of a document now REJECTED, which the Golem document leaves out (GET /agora-api/v1/payment/rejections). */
export const DocumentRejection = Type.Object({
  debitNoteId: Type.Optional(Type.String({ description: 'set for a debit note' })),
  invoiceId: Type.Optional(Type.String({ description: 'set for an invoice' })),
  rejection: Rejection
})

const Share = (idName: 'agreementId' | 'activityId') => Type.Object({ [idName]: Type.String(), amount: Type.String() })
export const Payment = Type.Object({
  paymentId: Type.String(),
  payerId: Type.String(),
  payeeId: Type.String(),
  payerAddr: Type.String(),
  payeeAddr: Type.String(),
  paymentPlatform: Type.String(),
  amount: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  agreementPayments: Type.Array(Share('agreementId')),
  activityPayments: Type.Array(Share('activityId')),
  details: Type.String({ description: 'the transaction hash on chain' })
})

export const Account = Type.Object({
  platform: Type.String(),
  address: Type.String(),
  driver: Type.String(),
  network: Type.String(),
  token: Type.String(),
  send: Type.Boolean(),
  receive: Type.Boolean()
})

const Flow = Type.Object({ accepted: Type.String(), confirmed: Type.String(), requested: Type.String() })
export const PaymentStatus = Type.Object(
  {
    amount: Type.String(),
    reserved: Type.String(),
    outgoing: Flow,
    incoming: Flow,
    driver: Type.String(),
    network: Type.String(),
    token: Type.String(),
    tokenBalance: Type.String({ description: 'the token balance on chain' }),
    gasBalance: Type.String({ description: "the native coin's balance on chain, for gas" })
  },
  { description: "One account's status on one platform" }
)

export const MarketDecoration = Type.Object({
  properties: Type.Array(Type.Object({ key: Type.String(), value: Type.String() })),
  constraints: Type.Array(Type.String())
})

// Query parameters (common.yaml).
export const DEFAULT_POLL_SECONDS = 5
export const DEFAULT_MAX_EVENTS = 10
export const DEFAULT_MAX_ITEMS = 10
export const ListQueryFields = {
  afterTimestamp: Type.Optional(Time),
  maxItems: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_MAX_ITEMS }))
}
export const PollQueryFields = {
  timeout: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_POLL_SECONDS, description: 'seconds to wait for a first event; 0 answers at once' })),
  afterTimestamp: Type.Optional(Time),
  maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_MAX_EVENTS })),
  appSessionId: Type.Optional(Type.String({ maxLength: 256 }))
}
export const ListQuery = Type.Object(ListQueryFields)
export const EventQuery = Type.Object(PollQueryFields)
export const AckQuery = Type.Object({
  timeout: Type.Optional(
    Type.Number({ minimum: 0, description: 'seconds (ackTimeout); taken, not waited on: the daemon stores the answer and delivers it itself' })
  )
})
export const FilterQueryFields = {
  network: Type.Optional(Type.String({ maxLength: 64 })),
  driver: Type.Optional(Type.String({ maxLength: 32 }))
}
export const PaymentsQuery = Type.Object({ ...PollQueryFields, ...FilterQueryFields })
export const StatusQuery = Type.Object({ ...FilterQueryFields, platform: Type.Optional(Platform), address: Type.Optional(Address) })
export const DriverStatusQuery = Type.Object(FilterQueryFields)
export const DriverStatusProperty = Type.Object(
  {
    kind: Type.Union([Type.Literal('InsufficientGas'), Type.Literal('InsufficientToken'), Type.Literal('RpcError')]),
    driver: Type.String(),
    network: Type.String(),
    address: Type.Optional(Type.String()),
    neededGasEst: Type.Optional(Type.String()),
    neededTokenEst: Type.Optional(Type.String()),
    chainId: Type.Optional(Type.Integer({ description: 'only with InvalidChainId, which Agora never reports: a network is configured whole or not at all' }))
  },
  { description: 'One actionable problem of the payment driver on one network' }
)
export const DecorationsQuery = Type.Object({
  allocationIds: Type.Array(Type.String({ maxLength: 64 * 129 }), { maxItems: 64, description: 'allocation ids, comma-separated or repeated' })
})

// Agora's extras.
export const NewInvoiceMandateBody = Type.Object(
  {
    agreementId: Type.String({ ...PaymentId, description: 'a terminated agreement of this requester' }),
    maxAmount: Type.String({
      maxLength: 100,
      description: 'the most the invoice may ask for the whole agreement, in whole tokens such as "1.5": what was accepted and what its final usage may add'
    }),
    allocationId: Type.String({
      ...PaymentId,
      description: 'the live allocation the invoice would have been accepted from; the mandate carves its share out of it'
    }),
    expiresAt: Type.Optional(Type.String({ ...Time, description: "until when the daemon answers (default: the daemon's allocation timeout from now)" }))
  },
  { additionalProperties: false }
)
export const InvoiceMandateParams = Type.Object({ agreementId: PaymentId })
export const InvoiceMandate = Type.Object({
  agreementId: Type.String(),
  maxAmount: Type.String(),
  allocationId: Type.String({ description: 'the allocation made for the mandate, which its acceptance spends from' }),
  sourceAllocationId: Type.String({ description: 'the allocation it was carved out of' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  outcome: Type.Optional(
    Type.Object({
      invoiceId: Type.String(),
      answer: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
      at: Type.String({ format: 'date-time' })
    })
  )
})

export const DepositView = Type.Object({
  depositId: Type.String(),
  role: Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')]),
  requester: Type.String(),
  provider: Type.String(),
  token: Type.String(),
  paymentPlatform: Type.String(),
  agreementIds: Type.Array(Type.String()),
  amount: Type.String(),
  claimed: Type.String(),
  deadline: Type.String({ format: 'date-time' }),
  voucherCumulative: Type.String({ description: 'the highest cumulative voucher signed (requester) or received and verified (provider)' }),
  reclaim: Type.Optional(
    Type.Union([Type.Literal('not-yet'), Type.Literal('at-deadline'), Type.Literal('done')], {
      description: 'requester: what is left goes back not yet (agreement not done), at the deadline, or was reclaimed'
    })
  )
})
export const ClaimBody = Type.Object(
  { depositIds: Type.Optional(Type.Array(PaymentId, { minItems: 1, maxItems: 1000, uniqueItems: true })), all: Type.Optional(Type.Boolean()) },
  { additionalProperties: false }
)
export const ClaimOutcome = Type.Object({ depositIds: Type.Array(Type.String()), txHash: Type.Optional(Type.String()), amount: Type.String() })
export const FundBody = Type.Object({ platform: Type.Optional(Platform) }, { additionalProperties: false })
export const FundOutcome = Type.Object({ token: Type.String(), gas: Type.String(), txHashes: Type.Array(Type.String()) })

const described = (description: string): typeof ErrorMessage => Type.Object(ErrorMessage.properties, { description })
/** Statuses beyond 400, 401 and 500 (documented on every route), by what a route does. */
export const paymentErrors = {
  /** Reads one record by id. */
  read: errorResponses(404),
  /** Changes the payment module's state (stored first, then delivered by the daemon). */
  change: { ...errorResponses(404, 409, 410), 503: described('(503) The chain or the payment module cannot serve this now.') },
  /** Reaches the chain. */
  chain: { ...errorResponses(404), 503: described('(503) The chain cannot be reached now.') }
}
