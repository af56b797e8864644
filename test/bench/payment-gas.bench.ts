// Gas the contracts cost, read from receipts on the real dev chain (anvil at its default hardfork, whose gas
// schedule for what these contracts do is Prague's; they are compiled for Prague): per deposit opened
// and claimed in batches of 50, and per payment in batches of 100 to fresh payees and to payees that already
// hold the token, on the any-ERC-20 path (AgoraPayouts) and the cheapest path (the token's own payBatch).
// Each figure is the whole transaction's gas (the 21,000 base included) divided by the batch size.
import { hexlify, parseEther, randomBytes, type TransactionReceipt, Wallet } from 'ethers'
import { compactSignature, depositIdOf, documentsHashOf, escrowDomain, packPayment, VOUCHER_TYPES } from '../../payment/index.ts'
import { DevChain } from '../../payment/index.ts'
import { deployAll, mined, party } from '../helpers/contracts.ts'
import { devProvider } from '../helpers/dev-chain.ts'
import { report } from './report.ts'

const OPEN_BATCH = 50
const PAY_BATCH = 100

const chain = new DevChain()
await chain.start()
const provider = devProvider(chain)
try {
  const requester = party(1, provider)
  const payee = party(2, provider)
  const c = await deployAll(party(0, provider).signer)
  const token = c.token.connect(requester.signer)
  const escrow = c.escrow.connect(requester.signer)
  await mined(token.mint(requester.address, parseEther('1000000')))
  await mined(token.approve(c.escrow.target, parseEther('1000000')))
  await mined(token.approve(c.payouts.target, parseEther('1000000')))
  const perItem = (receipt: TransactionReceipt, n: number): number => Math.round(Number(receipt.gasUsed) / n)
  const amount = (): bigint => 10n ** 15n + (BigInt(hexlify(randomBytes(8))) % 10n ** 18n)

  // Deposits opened: 50 providers at once.
  const deadline = (await provider.getBlock('latest'))!.timestamp + 86_400
  const openings = Array.from({ length: OPEN_BATCH }, () => ({ provider: Wallet.createRandom().address, salt: hexlify(randomBytes(32)), amount: amount() }))
  report('payment.gas_per_deposit_open.batch50', perItem(await mined(escrow.createMany(c.token.target, deadline, openings)), OPEN_BATCH), 'gas')

  // Deposits claimed: 50 deposits of one provider, claimed in one claimMany.
  const mine = Array.from({ length: OPEN_BATCH }, () => ({ provider: payee.address, salt: hexlify(randomBytes(32)), amount: amount() }))
  await mined(escrow.createMany(c.token.target, deadline, mine))
  const domain = escrowDomain(BigInt(chain.chainId), String(c.escrow.target))
  const claims = []
  for (const o of mine) {
    const depositId = depositIdOf({ requester: requester.address, provider: o.provider, token: String(c.token.target), salt: o.salt })
    const cumulative = o.amount / 2n
    const signature = await requester.wallet.signTypedData(domain, VOUCHER_TYPES, { depositId, cumulative })
    claims.push({ requester: requester.address, salt: o.salt, cumulative, ...compactSignature(signature) })
  }
  report('payment.gas_per_deposit_claim.batch50', perItem(await mined(c.escrow.connect(payee.signer).claimMany(c.token.target, claims)), OPEN_BATCH), 'gas')

  // Payments: the same 100 payees first fresh (no balance yet), then warm (already holding the token).
  let documentNo = 0
  const batch = (payees: string[]) => payees.map(p => packPayment({ payee: p, amount: amount() }))
  const documents = () => documentsHashOf(Array.from({ length: PAY_BATCH }, () => `invoice-${++documentNo}`))
  const paths = [
    { suffix: '', pay: (words: bigint[]) => c.payouts.connect(requester.signer).payBatch(c.token.target, documents(), words) },
    { suffix: '.cheapest', pay: (words: bigint[]) => token.payBatch(documents(), words) }
  ]
  for (const path of paths) {
    const payees = Array.from({ length: PAY_BATCH }, () => Wallet.createRandom().address)
    const fresh = await mined(path.pay(batch(payees)))
    const warm = await mined(path.pay(batch(payees)))
    report(`payment.gas_per_payment.batch100.fresh${path.suffix}`, perItem(fresh, PAY_BATCH), 'gas')
    report(`payment.gas_per_payment.batch100.warm${path.suffix}`, perItem(warm, PAY_BATCH), 'gas')
  }

  // For reference: one plain transfer to a fresh holder and to an existing one.
  const holder = Wallet.createRandom().address
  report('payment.gas_per_transfer.fresh', Number((await mined(token.transfer(holder, amount()))).gasUsed), 'gas')
  report('payment.gas_per_transfer.warm', Number((await mined(token.transfer(holder, amount()))).gasUsed), 'gas')
} finally {
  provider.destroy()
  await chain.stop()
}
