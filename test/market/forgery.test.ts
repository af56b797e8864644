import assert from 'node:assert/strict'
import Type from 'typebox'
import { NetHost, NodeKey, RemoteError, defineProtocol, signEnvelope } from '../../net/index.ts'
import { MARKET_OUTBOX_PROTOCOL, MARKET_PROTOCOL } from '../../market/index.ts'
import { newMarketId } from '../../market/ids.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approveAgreement, confirmAgreement, negotiateAgreement } from '../helpers/negotiation.ts'

// A third node speaks the market protocol directly, with messages no honest
// daemon would send: each must be refused and change nothing.
describe('market: forged and tampered messages are refused', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let attacker: NetHost

  before(async () => {
    provider = await cluster.start()
    requester = await cluster.start()
    attacker = new NetHost({ key: NodeKey.random(), bootstrap: [provider.addresses[0]!, requester.addresses[0]!] })
    await attacker.start()
  })
  after(async () => {
    await attacker.stop()
    await cluster.stop()
  })

  const agreementTerms = (requestorId: string): Record<string, unknown> => ({
    agreementId: newMarketId(),
    demand: {
      demandId: newMarketId(),
      requestorId,
      properties: { 'golem.srv.comp.expiration': Date.now() + 60_000 },
      constraints: '()',
      timestamp: new Date().toISOString()
    },
    offer: {
      offerId: newMarketId(),
      providerId: provider.nodeId,
      properties: { 'golem.runtime.name': 'wasmtime' },
      constraints: '()',
      timestamp: new Date().toISOString()
    },
    demandProposalId: newMarketId(),
    offerProposalId: newMarketId(),
    validTo: new Date(Date.now() + 60_000).toISOString(),
    timestamp: new Date().toISOString()
  })
  const refused = async (to: string, message: unknown, pattern: RegExp): Promise<void> => {
    await assert.rejects(attacker.request(MARKET_PROTOCOL, to as never, message as never), (err: unknown) => {
      assert.ok(err instanceof RemoteError, String(err))
      assert.match(err.message, pattern)
      return true
    })
  }

  // Approvals and closings travel through the market's outbox: a refusal for good is its answer.
  const refusedForGood = async (to: string, kind: string, envelope: unknown, pattern: RegExp): Promise<void> => {
    const answer = await attacker.request(MARKET_OUTBOX_PROTOCOL, to as never, { kind, envelope } as never)
    assert.equal(answer.result, 'refused', JSON.stringify(answer))
    assert.match(answer.result === 'refused' ? answer.message : '', pattern)
  }

  it('refuses agreements that are relayed, impersonated or tampered with', async () => {
    const before = await provider.client.expect<any[]>(200, 'GET', '/market-api/v1/agreements')
    const victim = NodeKey.random()
    // Signed by someone else than the sender.
    await refused(
      provider.nodeId,
      { kind: 'agreement', envelope: signEnvelope(victim, 'market.agreement', agreementTerms(victim.nodeId)) },
      /signed by its requester/
    )
    // Signed by the sender, but naming another requestor.
    await refused(
      provider.nodeId,
      { kind: 'agreement', envelope: signEnvelope(attacker.key, 'market.agreement', agreementTerms(requester.nodeId)) },
      /requestorId is not its signer/
    )
    // Properly signed, then one value changed.
    const envelope = signEnvelope(attacker.key, 'market.agreement', agreementTerms(attacker.nodeId)) as any
    envelope.payload.offer.properties['golem.runtime.name'] = 'vm'
    await refused(provider.nodeId, { kind: 'agreement', envelope }, /signature/i)
    // Properly signed by its requester, but for no negotiated proposal.
    await refused(
      provider.nodeId,
      { kind: 'agreement', envelope: signEnvelope(attacker.key, 'market.agreement', agreementTerms(attacker.nodeId)) },
      /proposal|offer/
    )
    // Malformed: no real signature, refused before its payload is read.
    await refused(
      provider.nodeId,
      { kind: 'agreement', envelope: { v: 1, type: 'market.agreement', signer: attacker.nodeId, payload: { agreementId: 'x' }, sig: '0x' } },
      /signature must be 65 bytes/
    )
    assert.deepEqual(await provider.client.expect<any[]>(200, 'GET', '/market-api/v1/agreements'), before)
  })

  it('refuses approvals and closings of an agreement the sender is not party to', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    const now = new Date().toISOString()
    await refusedForGood(
      requester.nodeId,
      'agreement.approval',
      signEnvelope(attacker.key, 'market.agreement-approval', { agreementId, agreementHash: `0x${newMarketId()}`, approvedDate: now }),
      /no agreement/
    )
    await refusedForGood(
      provider.nodeId,
      'agreement.close',
      signEnvelope(attacker.key, 'market.agreement-close', { agreementId, action: 'cancel', timestamp: now }),
      /no agreement/
    )
    // The direct protocol no longer carries them at all.
    const loose = defineProtocol({ ...MARKET_PROTOCOL, request: Type.Unknown() })
    await assert.rejects(
      attacker.request(loose, provider.nodeId as never, {
        kind: 'close',
        envelope: signEnvelope(attacker.key, 'market.agreement-close', { agreementId, action: 'cancel', timestamp: now })
      }),
      (err: unknown) => err instanceof RemoteError && /kind/.test(err.message)
    )
    assert.equal((await requester.client.agreement(agreementId)).state, 'Pending')
    assert.equal((await provider.client.agreement(agreementId)).state, 'Pending')

    await approveAgreement(provider, requester, agreementId)
    await refusedForGood(
      provider.nodeId,
      'agreement.close',
      signEnvelope(attacker.key, 'market.agreement-close', { agreementId, action: 'terminate', reason: { message: 'forged' }, timestamp: now }),
      /no agreement/
    )
    assert.equal((await provider.client.agreement(agreementId)).state, 'Approved')
    assert.equal((await requester.client.agreement(agreementId)).state, 'Approved')
  })

  it('refuses a proposal for a subscription that does not exist or signed by another node', async () => {
    const proposal = {
      proposalId: newMarketId(),
      prevProposalId: newMarketId(),
      offerId: newMarketId(),
      demandId: newMarketId(),
      properties: {},
      constraints: '()',
      timestamp: new Date().toISOString(),
      expiresAt: Date.now() + 60_000
    }
    await refused(provider.nodeId, { kind: 'proposal', envelope: signEnvelope(NodeKey.random(), 'market.proposal', proposal) }, /sign/)
    await refused(
      provider.nodeId,
      { kind: 'proposal', envelope: signEnvelope(attacker.key, 'market.proposal', proposal) },
      /no such offer or demand subscription/
    )
  })
})
