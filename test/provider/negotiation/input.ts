// A negotiation input as the deal keeper makes one, with settings a test
// changes one field at a time.
import type { NegotiationInput } from '../../../daemon/provider/negotiation/index.ts'
import type { ProviderSettings } from '../../../daemon/provider/model.ts'
import type { NodeId } from '../../../net/index.ts'

export const NOW = 1_800_000_000_000
export const REQUESTER = '0x1111111111111111111111111111111111111111' as NodeId

export const SETTINGS: ProviderSettings = {
  offering: true,
  cores: 2,
  memoryGib: 2,
  diskGib: 10,
  maxAgreements: 2,
  debitNoteInterval: { minSec: 30, maxSec: 600, preferredSec: 120 },
  acceptTimeout: { minSec: 60, maxSec: 900, preferredSec: 240 },
  paymentTimeout: { minSec: 300, maxSec: 86_400, preferredSec: 3600 },
  minAgreementSec: 300,
  maxAgreementSec: 86_400,
  idleAgreementSec: 600,
  allowRequesters: [],
  denyRequesters: []
}

export const OFFER: Record<string, unknown> = {
  'golem.runtime.name': 'wasmtime',
  'golem.com.pricing.model': 'linear',
  'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
  'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0.01],
  'golem.com.payment.platform.erc20-dev-tglm.address': '0x2222222222222222222222222222222222222222'
}

export function inputOf(overrides: Partial<Omit<NegotiationInput, 'settings'>> & { settings?: Partial<ProviderSettings> } = {}): NegotiationInput {
  const { settings, ...rest } = overrides
  return {
    stage: 'proposal',
    requesterId: REQUESTER,
    demand: { 'golem.srv.comp.expiration': NOW + 3_600_000, 'golem.com.payment.chosen-platform': 'erc20-dev-tglm' },
    offer: OFFER,
    published: OFFER,
    liveAgreements: 0,
    supportsPlatform: platform => platform === 'erc20-dev-tglm',
    now: NOW,
    ...rest,
    settings: { ...SETTINGS, ...settings }
  }
}
