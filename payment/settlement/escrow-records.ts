// What each side keeps of an escrow deposit. The requester's record is the
// intent to open it (written before the createMany is signed), then what the
// chain holds, the best voucher signed, a top-up or reclaim in progress. The
// provider's record is the best voucher verified and what the chain says was
// claimed; a claim in progress is written before the claimMany is signed.
import Type from 'typebox'
import { validator } from '../../net/index.ts'
import type { RecordCodec } from './record-book.ts'

const Hex32 = Type.String({ pattern: '^0x[0-9a-f]{64}$' })
const Address = Type.String({ pattern: '^0x[0-9a-f]{40}$' })
const Amount = Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' })
const Signature = Type.String({ pattern: '^0x[0-9a-f]{128}$' })
const Calldata = Type.String({ pattern: '^0x([0-9a-f]{2})*$', maxLength: 262_144 })

const common = {
  depositId: Hex32,
  agreementId: Type.String({ minLength: 1, maxLength: 256 }),
  platform: Type.String({ minLength: 1, maxLength: 80 }),
  requester: Address,
  provider: Address,
  token: Address,
  salt: Hex32,
  /** Seconds, as the contract keeps it. */
  deadline: Type.Integer({ minimum: 0 })
}

/** opening: intended, maybe sent; open: on chain; finished: the agreement ended, reclaim due at the deadline; reclaimed: done. */
export type PayerState = 'opening' | 'open' | 'finished' | 'reclaimed'

const PayerSchema = Type.Object(
  {
    ...common,
    state: Type.Union([Type.Literal('opening'), Type.Literal('open'), Type.Literal('finished'), Type.Literal('reclaimed')]),
    /** The deposit's amount on chain (the budget asked for, while opening). */
    amount: Amount,
    /** A top-up in progress: the amount the deposit is brought to, and the call that does it. */
    topUpTo: Type.Optional(Amount),
    topUpData: Type.Optional(Calldata),
    voucherCumulative: Type.Optional(Amount),
    voucherSignature: Type.Optional(Signature)
  },
  { additionalProperties: false }
)

const PayeeSchema = Type.Object(
  {
    ...common,
    /** The best voucher verified. */
    cumulative: Amount,
    signature: Signature,
    /** The deposit's amount on chain when last read. */
    amount: Amount,
    /** Claimed on chain, as last read (confirmed). */
    claimed: Amount,
    /** A claim in progress up to this cumulative (written before it is signed). */
    claiming: Type.Optional(Amount),
    /** The highest claimed total reported as settled. */
    reported: Amount,
    /** The chain's block when the first voucher was kept: no claim of ours can be older, so its Claimed event is looked for from there. */
    sinceBlock: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The agreement ended: claim whatever the gas. */
    ended: Type.Boolean()
  },
  { additionalProperties: false }
)

export interface PayerDeposit {
  readonly depositId: string
  readonly agreementId: string
  readonly platform: string
  readonly requester: string
  readonly provider: string
  readonly token: string
  readonly salt: string
  readonly deadline: number
  readonly state: PayerState
  readonly amount: bigint
  readonly topUpTo?: bigint
  readonly topUpData?: string
  readonly voucherCumulative?: bigint
  readonly voucherSignature?: string
}

/**
 * One transaction's intent, written before it is signed: the sender's intent
 * id, the call, and the deposits it opens or claims (with the cumulative each
 * claim reaches). After a restart the same intent is asked for again, which
 * joins or answers it rather than sending anything new.
 */
export interface TxBatch {
  readonly intentId: string
  readonly data: string
  readonly depositIds: readonly string[]
  readonly amounts?: readonly bigint[]
}

const TxBatchSchema = Type.Object(
  {
    intentId: Type.String({ minLength: 1, maxLength: 200 }),
    data: Calldata,
    depositIds: Type.Array(Hex32, { minItems: 1, maxItems: 500 }),
    amounts: Type.Optional(Type.Array(Amount, { maxItems: 500 }))
  },
  { additionalProperties: false }
)
const checkBatch = validator(TxBatchSchema, 'transaction batch record')

export const batchCodec: RecordCodec<TxBatch> = {
  idOf: record => record.intentId,
  decode: (value, key) => {
    const { amounts, ...r } = checkBatch.parse(value, `record ${key}`)
    return { ...r, ...(amounts === undefined ? {} : { amounts: amounts.map(a => BigInt(a)) }) }
  }
}

export interface PayeeDeposit {
  readonly depositId: string
  readonly agreementId: string
  readonly platform: string
  readonly requester: string
  readonly provider: string
  readonly token: string
  readonly salt: string
  readonly deadline: number
  readonly cumulative: bigint
  readonly signature: string
  readonly amount: bigint
  readonly claimed: bigint
  readonly claiming?: bigint
  readonly reported: bigint
  readonly sinceBlock?: number
  readonly ended: boolean
}

const checkPayer = validator(PayerSchema, 'requester deposit record')
const checkPayee = validator(PayeeSchema, 'provider deposit record')

export const payerCodec: RecordCodec<PayerDeposit> = {
  idOf: record => record.depositId,
  decode: (value, key) => {
    const { topUpTo, voucherCumulative, ...r } = checkPayer.parse(value, `record ${key}`)
    return {
      ...r,
      amount: BigInt(r.amount),
      ...(topUpTo === undefined ? {} : { topUpTo: BigInt(topUpTo) }),
      ...(voucherCumulative === undefined ? {} : { voucherCumulative: BigInt(voucherCumulative) })
    }
  }
}

export const payeeCodec: RecordCodec<PayeeDeposit> = {
  idOf: record => record.depositId,
  decode: (value, key) => {
    const { claiming, ...r } = checkPayee.parse(value, `record ${key}`)
    return {
      ...r,
      cumulative: BigInt(r.cumulative),
      amount: BigInt(r.amount),
      claimed: BigInt(r.claimed),
      reported: BigInt(r.reported),
      ...(claiming === undefined ? {} : { claiming: BigInt(claiming) })
    }
  }
}

/** A copy of `record` without the optional field `field`. */
export function without<T, K extends keyof T>(record: T, field: K): Omit<T, K> {
  const copy = { ...record }
  delete copy[field]
  return copy
}
