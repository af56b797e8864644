// The direct payee's check (provider side): a PayoutConfirmation counts only
// once the chain itself shows it. The transaction is mined with the network's
// confirmations and succeeded; it was sent by the payer to the token (its own
// payBatch) or to the payouts contract; its calldata is a payBatch whose
// documents hash is that of the confirmation's document ids, so the batch id
// recomputed from payer, token and those ids is the confirmation's, and the
// contract emitted BatchPaid for it; the payee's word pays exactly the sum of
// its documents. Anything short or forged is refused with a reason, and one
// document counts under one payment only.
import { TypedEventEmitter } from '@libp2p/interface'
import type { Provider, TransactionReceipt, TransactionResponse } from 'ethers'
import { type Clock, silentLogger } from '../../../net/index.ts'
import type { Logger, RawRecordStore } from '../../../net/index.ts'
import type { ChainNetwork } from '../../chain/network-config.ts'
import { prefixedStore, readRecord } from '../../chain/prefixed-store.ts'
import { batchIdOf, documentsHashOf, unpackPayment } from '../../contracts/index.ts'
import type { AgreementTerms, PayoutConfirmation, ProviderSettlementEvents, VerificationResult } from '../settlement.ts'
import { batchTokenAbi, decodePayBatch, erc20Abi, type PayoutPath, payoutsAbi } from './payout-path.ts'
import { ID_PATTERN } from './payout-store.ts'

export interface DirectPayoutVerifierComponents {
  network: ChainNetwork
  provider: Provider
  db: RawRecordStore
  logger?: Logger
  clock?: Clock
}

const HASH = /^0x[0-9a-f]{64}$/
const MAX_DOCUMENTS = 10_000

type Refusal = Extract<VerificationResult, { ok: false }>

class Refused extends Error {
  readonly result: Refusal
  constructor(code: Refusal['code'], reason: string) {
    super(reason)
    this.result = { ok: false, code, reason }
  }
}

interface CountedDocument {
  documentId: string
  agreementId: string
  amount: string
  txHash: string
  batchId: string
}

export class DirectPayoutVerifier extends TypedEventEmitter<ProviderSettlementEvents> {
  readonly #network: ChainNetwork
  readonly #provider: Provider
  readonly #db: RawRecordStore
  readonly #log: Logger
  #queue: Promise<unknown> = Promise.resolve()

  constructor(components: DirectPayoutVerifierComponents) {
    super()
    this.#network = components.network
    this.#provider = components.provider
    this.#db = prefixedStore(components.db, `direct-verified:${components.network.chainId}:`)
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:direct-verifier', network: components.network.name })
  }

  /** Checks `confirmation` for `terms` on chain; on success its documents count (once) and `settled` is emitted. */
  async verifyPayout(terms: AgreementTerms, confirmation: PayoutConfirmation): Promise<VerificationResult> {
    let checked: { txHash: string }
    try {
      checked = await this.#check(terms, confirmation)
    } catch (err) {
      if (err instanceof Refused) {
        this.#log.info({ agreementId: terms.agreementId, txHash: String(confirmation?.txHash).slice(0, 80), reason: err.result.reason }, 'a payout was refused')
        return err.result
      }
      this.#log.warn({ err, agreementId: terms.agreementId }, 'a payout could not be checked on chain')
      return { ok: false, code: 'Unavailable', reason: 'the chain could not be asked; try again' }
    }
    // Counted one at a time: two confirmations naming one document cannot both count it.
    const counted = this.#queue.then(async () => await this.#count(terms, confirmation, checked.txHash))
    this.#queue = counted.catch(() => undefined)
    try {
      const settled = await counted
      this.safeDispatchEvent('settled', { detail: { agreementId: terms.agreementId, settled, txHash: checked.txHash } })
      return { ok: true }
    } catch (err) {
      if (err instanceof Refused) return err.result
      throw err
    }
  }

  /** What the chain shows paid to `agreementId` through verified direct payouts. */
  async settledOf(agreementId: string): Promise<bigint> {
    let sum = 0n
    for await (const [, text] of this.#db.iterator({ gte: `${agreementId}:`, lt: `${agreementId}:\uffff`, valueEncoding: 'utf8' })) {
      sum += BigInt((JSON.parse(text) as CountedDocument).amount)
    }
    return sum
  }

  async #check(terms: AgreementTerms, confirmation: PayoutConfirmation): Promise<{ txHash: string }> {
    const c = this.#shape(terms, confirmation)
    const receipt = await this.#provider.getTransactionReceipt(c.txHash)
    if (receipt === null) throw new Refused('Unavailable', `transaction ${c.txHash} is not mined (or not known to this node)`)
    const head = await this.#provider.getBlockNumber()
    // The network's confirmations are blocks after the one that mined it.
    const onTop = head - receipt.blockNumber
    const needed = this.#network.confirmations
    if (onTop < needed) throw new Refused('Unavailable', `transaction ${c.txHash} has ${onTop} of ${needed} blocks on top`)
    if (receipt.status !== 1) throw new Refused('Forbidden', `transaction ${c.txHash} reverted`)
    const tx = await this.#provider.getTransaction(c.txHash)
    if (tx === null) throw new Refused('Unavailable', `transaction ${c.txHash} is not known to this node`)
    if (tx.from.toLowerCase() !== c.payer) throw new Refused('Forbidden', 'the transaction was not sent by the payer')
    const path = this.#pathOf(tx)
    const decoded = decodePayBatch(path, tx.data)
    if (decoded === undefined) throw new Refused('Forbidden', 'the transaction is not a batch payout')
    const token = this.#network.token.address
    if (decoded.token !== undefined && decoded.token.toLowerCase() !== token.toLowerCase())
      throw new Refused('Forbidden', "the batch paid another token than the platform's")
    let documentsHash: string
    try {
      documentsHash = documentsHashOf(c.batchIds).toLowerCase()
    } catch {
      throw new Refused('BadRequest', 'the batch document ids are empty or name a document twice')
    }
    if (documentsHash !== decoded.documentsHash) throw new Refused('Forbidden', "the batch's documents are not the ones the confirmation names")
    const batchId = batchIdOf(c.payer, token, documentsHash).toLowerCase()
    if (batchId !== c.batchId) throw new Refused('Forbidden', 'the batch id is not the one of the payer, token and documents')
    if (!this.#hasBatchEvent(receipt, tx.to!, path, batchId)) throw new Refused('Forbidden', 'the transaction emitted no BatchPaid for this batch id')
    const words = decoded.payments.map(unpackPayment).filter(p => p.payee.toLowerCase() === c.payee)
    if (words.length !== 1) throw new Refused('Forbidden', `the batch pays the payee ${words.length === 0 ? 'nothing' : 'more than once'}`)
    if (words[0]!.amount !== c.sum) throw new Refused('Forbidden', `the batch pays the payee ${words[0]!.amount}, not the documents' ${c.sum}`)
    if (path === 'any-erc20' && !this.#hasTransfer(receipt, tx.to!, c.payee, c.sum))
      throw new Refused('Forbidden', 'no transfer of the sum to the payee is in the receipt')
    return { txHash: c.txHash }
  }

  #shape(terms: AgreementTerms, confirmation: PayoutConfirmation) {
    if (typeof confirmation !== 'object' || confirmation === null) throw new Refused('BadRequest', 'a payout confirmation is an object')
    const known = [this.#network.platform, ...this.#network.aliases]
    if (!known.includes(confirmation.platform) || !known.includes(terms.platform))
      throw new Refused('BadRequest', `platform ${String(confirmation.platform).slice(0, 80)} is not this network's`)
    const txHash = String(confirmation.txHash).toLowerCase()
    const batchId = String(confirmation.batchId).toLowerCase()
    if (!HASH.test(txHash) || !HASH.test(batchId)) throw new Refused('BadRequest', 'the transaction hash and batch id are 32-byte hex')
    const payer = String(confirmation.payer).toLowerCase()
    const payee = String(confirmation.payee).toLowerCase()
    if (payer !== terms.requester.toLowerCase()) throw new Refused('Forbidden', "the payer is not the agreement's requester")
    if (payee !== terms.payee.toLowerCase()) throw new Refused('Forbidden', "the payee is not the agreement's")
    const documents = confirmation.documents
    if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_DOCUMENTS) {
      throw new Refused('BadRequest', `a confirmation names 1 to ${MAX_DOCUMENTS} documents`)
    }
    let sum = 0n
    for (const doc of documents) {
      if (!ID_PATTERN.test(String(doc?.documentId)) || !ID_PATTERN.test(String(doc?.agreementId)) || typeof doc.amount !== 'bigint' || doc.amount <= 0n) {
        throw new Refused('BadRequest', 'each document has an id, an agreement id and a positive amount')
      }
      sum += doc.amount
    }
    if (!documents.some(d => d.agreementId === terms.agreementId)) throw new Refused('BadRequest', 'the confirmation pays no document of this agreement')
    const batchIds = confirmation.batchDocumentIds ?? documents.map(d => d.documentId)
    if (!Array.isArray(batchIds) || batchIds.length > MAX_DOCUMENTS || !batchIds.every(id => typeof id === 'string')) {
      throw new Refused('BadRequest', 'the batch document ids are a list of ids')
    }
    const inBatch = new Set(batchIds)
    if (!documents.every(d => inBatch.has(d.documentId))) throw new Refused('Forbidden', "a document is not among the batch's")
    return { txHash, batchId, payer, payee, documents, sum, batchIds }
  }

  #pathOf(tx: TransactionResponse): PayoutPath {
    const to = tx.to?.toLowerCase()
    if (to === this.#network.token.address.toLowerCase()) return 'cheapest'
    if (to !== undefined && to === this.#network.contracts.batchPayout?.toLowerCase()) return 'any-erc20'
    throw new Refused('Forbidden', "the transaction went neither to the platform's token nor to its payouts contract")
  }

  #hasBatchEvent(receipt: TransactionReceipt, contract: string, path: PayoutPath, batchId: string): boolean {
    const abi = path === 'cheapest' ? batchTokenAbi : payoutsAbi
    const topic = abi.getEvent('BatchPaid')!.topicHash
    return receipt.logs.some(log => log.address.toLowerCase() === contract.toLowerCase() && log.topics[0] === topic && log.topics[1]?.toLowerCase() === batchId)
  }

  #hasTransfer(receipt: TransactionReceipt, payouts: string, payee: string, amount: bigint): boolean {
    const topic = erc20Abi.getEvent('Transfer')!.topicHash
    return receipt.logs.some(log => {
      if (log.address.toLowerCase() !== this.#network.token.address.toLowerCase() || log.topics[0] !== topic || log.topics.length !== 3) return false
      const from = `0x${log.topics[1]!.slice(26)}`.toLowerCase()
      const to = `0x${log.topics[2]!.slice(26)}`.toLowerCase()
      return from === payouts.toLowerCase() && to === payee && BigInt(log.data) === amount
    })
  }

  /** Counts the confirmation's documents (each once, under one payment); the agreement's settled total after it. */
  async #count(terms: AgreementTerms, confirmation: PayoutConfirmation, txHash: string): Promise<bigint> {
    const fresh: CountedDocument[] = []
    for (const doc of confirmation.documents) {
      const key = `${doc.agreementId}:${doc.documentId}`
      const text = await readRecord(this.#db, key)
      if (text !== undefined) {
        const counted = JSON.parse(text) as CountedDocument
        if (counted.txHash !== txHash || BigInt(counted.amount) !== doc.amount) {
          throw new Refused('Conflict', `document ${doc.documentId} is already paid by another payment`)
        }
        continue
      }
      fresh.push({
        documentId: doc.documentId,
        agreementId: doc.agreementId,
        amount: String(doc.amount),
        txHash,
        batchId: String(confirmation.batchId).toLowerCase()
      })
    }
    for (const doc of fresh) await this.#db.put(`${doc.agreementId}:${doc.documentId}`, JSON.stringify(doc), { valueEncoding: 'utf8', sync: true })
    return await this.settledOf(terms.agreementId)
  }
}
