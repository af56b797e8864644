// The data-policy check on its own: what it asks the owner's policy, what it
// audits, and the demands it refuses without asking.
import assert from 'node:assert/strict'
import type { AuditInput, UseRequest } from '../../../custody/index.ts'
import { dataPolicyCheck } from '../../../daemon/provider/negotiation/data-policy-check.ts'
import type { DataPolicyDesk } from '../../../daemon/provider/negotiation/index.ts'
import { inputOf, NOW, OFFER, REQUESTER } from './input.ts'

const HEX = 'c3'.repeat(32)
const DATA_OFFER = { ...OFFER, 'agora.data.name': 'patients' }

function desk(allow: boolean): DataPolicyDesk & { asked: UseRequest[]; audited: AuditInput[] } {
  const asked: UseRequest[] = []
  const audited: AuditInput[] = []
  return {
    asked,
    audited,
    decide: request => {
      asked.push(request)
      return { allow, dataset: request.dataset, reasons: [{ rule: allow ? 'algorithms.hashes' : 'requesters', message: allow ? 'allowed' : 'not allowed' }] }
    },
    audit: entry => void audited.push(entry)
  }
}

describe('negotiation: the data-policy check', () => {
  it('a demand naming no dataset passes on a plain offer, and is refused on an offer for a dataset', () => {
    assert.equal(dataPolicyCheck.check(inputOf()).verdict, 'accept')
    const outcome = dataPolicyCheck.check(inputOf({ offer: DATA_OFFER }))
    assert.deepEqual(outcome, {
      verdict: 'reject',
      code: 'DataPolicy',
      message: 'this offer is for dataset patients: the demand must name it in agora.data.name'
    })
  })

  it("asks the policy with the requester, the package's hash, the manifest and the time, and audits the decision", () => {
    const policies = desk(true)
    const manifest = { name: 'x', version: '1', hash: `sha3:${HEX}`, publisher: REQUESTER, signature: '0x00' }
    const demand = {
      'agora.data.name': 'patients',
      'golem.srv.comp.task_package': `hash:sha3:${HEX}:http://h/a.wasm`,
      'agora.data.manifest': JSON.stringify(manifest)
    }
    const outcome = dataPolicyCheck.check(inputOf({ demand, offer: DATA_OFFER, dataPolicy: policies, stage: 'agreement' }))
    assert.equal(outcome.verdict, 'accept')
    assert.deepEqual(policies.asked, [{ dataset: 'patients', requesterId: REQUESTER, algorithmHash: `sha3:${HEX}`, manifest, at: NOW }])
    assert.deepEqual(policies.audited, [
      {
        kind: 'decision',
        dataset: 'patients',
        requesterId: REQUESTER,
        allow: true,
        reasons: [{ rule: 'algorithms.hashes', message: 'allowed' }],
        detail: { stage: 'agreement', algorithm: `sha3:${HEX}` }
      }
    ])
  })

  it('a refusal carries every reason; the offer\'s other dataset adds the rule "dataset"', () => {
    const policies = desk(false)
    const outcome = dataPolicyCheck.check(
      inputOf({ demand: { 'agora.data.name': 'patients' }, offer: { ...OFFER, 'agora.data.name': 'other' }, dataPolicy: policies })
    )
    assert.deepEqual(outcome, {
      verdict: 'reject',
      code: 'DataPolicy',
      message: "dataset patients refused by its owner's policy: dataset: this offer is for dataset other; requesters: not allowed"
    })
    assert.equal(policies.audited[0]?.allow, false)
  })

  it('a node without custody refuses a demand naming a dataset; a name that is no dataset name is refused unasked', () => {
    const outcome = dataPolicyCheck.check(inputOf({ demand: { 'agora.data.name': 'patients' }, offer: DATA_OFFER }))
    assert.equal(outcome.verdict, 'reject')
    assert.match((outcome as { message: string }).message, /dataset: this node keeps no datasets/)
    const policies = desk(true)
    const bad = dataPolicyCheck.check(inputOf({ demand: { 'agora.data.name': 'Not A Name'.repeat(20) }, offer: DATA_OFFER, dataPolicy: policies }))
    assert.equal(bad.verdict, 'reject')
    assert.deepEqual(policies.asked, [])
  })
})
