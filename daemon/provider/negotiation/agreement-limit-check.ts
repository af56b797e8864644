// No more simultaneous agreements than settings.maxAgreements: counted when a
// proposal comes and again when its agreement is to be approved.
import { accept, reject } from './check.ts'
import type { NegotiationCheck } from './check.ts'

export const agreementLimitCheck: NegotiationCheck = {
  name: 'agreement-limit',
  check({ liveAgreements, settings }) {
    if (liveAgreements >= settings.maxAgreements) {
      return reject('AgreementLimit', `this provider is at its limit of ${settings.maxAgreements} simultaneous agreements`)
    }
    return accept()
  }
}
