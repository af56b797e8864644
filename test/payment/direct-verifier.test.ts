import assert from 'node:assert/strict'
import { Wallet } from 'ethers'
import { devWallet, parseNetworkConfig, devNetworkConfig } from '../../payment/index.ts'
import type { AgreementTerms, PayoutConfirmation, VerificationResult } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { type DirectRig, directRig, freshPayees } from '../helpers/direct-payouts.ts'

const TOKEN = 10n ** 18n

describe('payment: the direct payee verifier', function () {
  this.timeout(180_000)
  const fixture = devChainFixture()
  let rig: DirectRig
  const payerIndex = 1
  let payer: string
  let alice: string
  let bob: string
  /** One batch of the cheapest path and one of the any-ERC20 path, each paying alice and bob. */
  let cheapest: PayoutConfirmation[]
  let anyErc20: PayoutConfirmation[]

  const termsFor = (payee: string, agreementId = 'agr-a'): AgreementTerms => ({
    agreementId,
    platform: rig.network.platform,
    requester: payer,
    provider: payee,
    payee,
    mode: 'direct',
    expiresAt: Date.now() + 3_600_000,
    paymentTimeoutMs: 60_000
  })
  const refused = (result: VerificationResult, code: string, reason: RegExp) => {
    assert.equal(result.ok, false)
    assert.ok(!result.ok && result.code === code, `code ${!result.ok && result.code}, wanted ${code}`)
    assert.match(!result.ok ? result.reason : '', reason)
  }

  before(async () => {
    rig = await directRig(fixture.provider, fixture.chain.rpcUrl)
    payer = devWallet(payerIndex).address.toLowerCase()
    await rig.mint(payer, 1_000n * TOKEN)
    ;[alice, bob] = freshPayees(2) as [string, string]
    const db = await rig.database('payer')
    const first = rig.payer(payerIndex, db as never)
    await first.payer.enqueue({ documentId: 'a-1', agreementId: 'agr-a', platform: rig.network.platform, payee: alice, amount: 40n })
    await first.payer.enqueue({ documentId: 'a-2', agreementId: 'agr-a', platform: rig.network.platform, payee: alice, amount: 2n })
    await first.payer.enqueue({ documentId: 'b-1', agreementId: 'agr-b', platform: rig.network.platform, payee: bob, amount: 9n })
    cheapest = await first.payer.payNow()
    const db2 = await rig.database('payer-any')
    const second = rig.payer(payerIndex, db2 as never, { init: { path: 'any-erc20' } })
    await second.payer.enqueue({ documentId: 'a-3', agreementId: 'agr-a', platform: rig.network.platform, payee: alice, amount: 5n })
    await second.payer.enqueue({ documentId: 'b-2', agreementId: 'agr-b', platform: rig.network.platform, payee: bob, amount: 6n })
    anyErc20 = await second.payer.payNow()
    assert.equal(cheapest.length, 2)
    assert.equal(anyErc20.length, 2)
  })
  after(async () => {
    await rig?.close()
  })

  const toAlice = (confirmations: PayoutConfirmation[]) => confirmations.find(c => c.payee === alice)!

  it('verifies genuine payouts on both paths, counts each document once and reports the settled total', async () => {
    const verifier = rig.verifier((await rig.database('payee')) as never)
    const settled: bigint[] = []
    verifier.addEventListener('settled', event => settled.push(event.detail.settled))
    assert.deepEqual(await verifier.verifyPayout(termsFor(alice), toAlice(cheapest)), { ok: true })
    assert.deepEqual(await verifier.verifyPayout(termsFor(alice), toAlice(anyErc20)), { ok: true })
    assert.deepEqual(await verifier.verifyPayout(termsFor(alice), toAlice(cheapest)), { ok: true }, 'idempotent')
    assert.deepEqual(settled, [42n, 47n, 47n])
    assert.equal(await verifier.settledOf('agr-a'), 47n)
  })

  it('refuses forged, short and wrong-payee confirmations, and none of them counts', async () => {
    const verifier = rig.verifier((await rig.database('payee')) as never)
    const genuine = toAlice(cheapest)
    const settled: unknown[] = []
    verifier.addEventListener('settled', event => settled.push(event.detail))

    // Short: the documents claim more than the batch paid the payee.
    refused(
      await verifier.verifyPayout(termsFor(alice), { ...genuine, documents: genuine.documents.map(d => ({ ...d, amount: d.amount + 1n })) }),
      'Forbidden',
      /pays the payee 42, not the documents' 44/
    )
    // A document left out of the batch's list: the batch id no longer matches.
    refused(
      await verifier.verifyPayout(termsFor(alice), { ...genuine, batchDocumentIds: genuine.batchDocumentIds!.filter(id => id !== 'b-1') }),
      'Forbidden',
      /documents are not the ones/
    )
    // Another batch id than the payer, token and documents give.
    refused(await verifier.verifyPayout(termsFor(alice), { ...genuine, batchId: `0x${'ab'.repeat(32)}` }), 'Forbidden', /batch id/)
    // Bob's confirmation shown to alice's agreement, and alice's payee swapped in.
    refused(await verifier.verifyPayout(termsFor(alice), cheapest.find(c => c.payee === bob)!), 'Forbidden', /payee is not the agreement's/)
    const carol = Wallet.createRandom().address.toLowerCase()
    refused(await verifier.verifyPayout(termsFor(carol), { ...genuine, payee: carol }), 'Forbidden', /pays the payee nothing/)
    // A transaction that is not a batch payout (the token's mint).
    const mint = await (await rig.contracts.token.mint(alice, 42n)).wait()
    refused(await verifier.verifyPayout(termsFor(alice), { ...genuine, txHash: mint.hash }), 'Forbidden', /not sent by the payer|not a batch payout/)
    // Someone else's payer.
    refused(await verifier.verifyPayout({ ...termsFor(alice), requester: devWallet(2).address }, genuine), 'Forbidden', /payer is not/)
    // A hash that is not on chain.
    refused(await verifier.verifyPayout(termsFor(alice), { ...genuine, txHash: `0x${'12'.repeat(32)}` }), 'Unavailable', /not mined/)
    // Malformed.
    refused(await verifier.verifyPayout(termsFor(alice), { ...genuine, documents: [] }), 'BadRequest', /documents/)
    refused(await verifier.verifyPayout(termsFor(alice), { ...genuine, platform: 'erc20-mainnet-glm' }), 'BadRequest', /platform/)
    refused(await verifier.verifyPayout(termsFor(alice, 'agr-z'), genuine), 'BadRequest', /no document of this agreement/)

    assert.deepEqual(settled, [])
    assert.equal(await verifier.settledOf('agr-a'), 0n)
  })

  it('a document counts under one payment only', async () => {
    const verifier = rig.verifier((await rig.database('payee')) as never)
    assert.deepEqual(await verifier.verifyPayout(termsFor(alice), toAlice(cheapest)), { ok: true })
    // A second, genuine batch paying a-1 again (a payer that lost its records): it does not count twice.
    const again = rig.payer(payerIndex, (await rig.database('payer-again')) as never)
    await again.payer.enqueue({ documentId: 'a-1', agreementId: 'agr-a', platform: rig.network.platform, payee: alice, amount: 40n })
    const [repeat] = await again.payer.payNow()
    refused(await verifier.verifyPayout(termsFor(alice), repeat!), 'Conflict', /already paid by another payment/)
    assert.equal(await verifier.settledOf('agr-a'), 42n)
  })

  it('counts a payout once the confirmations (blocks after its own) are on top of it', async () => {
    const two = parseNetworkConfig({ ...devNetworkConfig(fixture.chain.rpcUrl, rig.token, { batchPayout: rig.payouts }), confirmations: 2 })
    const verifier = rig.verifier((await rig.database('payee')) as never, two)
    const again = rig.payer(payerIndex, (await rig.database('payer-confirmations')) as never)
    await again.payer.enqueue({ documentId: 'c-1', agreementId: 'agr-c', platform: rig.network.platform, payee: alice, amount: 3n })
    const [confirmation] = await again.payer.payNow()
    refused(await verifier.verifyPayout(termsFor(alice, 'agr-c'), confirmation!), 'Unavailable', /0 of 2 blocks/)
    await fixture.provider.send('evm_mine', [])
    refused(await verifier.verifyPayout(termsFor(alice, 'agr-c'), confirmation!), 'Unavailable', /1 of 2 blocks/)
    await fixture.provider.send('evm_mine', [])
    assert.deepEqual(await verifier.verifyPayout(termsFor(alice, 'agr-c'), confirmation!), { ok: true })
  })

  it('waits for the network confirmations before a payout counts', async () => {
    const strict = parseNetworkConfig({ ...devNetworkConfig(fixture.chain.rpcUrl, rig.token, { batchPayout: rig.payouts }), confirmations: 1_000 })
    const verifier = rig.verifier((await rig.database('payee')) as never, strict)
    refused(await verifier.verifyPayout(termsFor(alice), toAlice(cheapest)), 'Unavailable', /of 1000 blocks on top/)
  })
})
