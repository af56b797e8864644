// The allow and deny lists of requester node ids: a denied requester is
// refused; with a non-empty allow list, so is every requester not on it.
import { accept, reject } from './check.ts'
import type { NegotiationCheck } from './check.ts'

export const requesterListCheck: NegotiationCheck = {
  name: 'requester-list',
  check({ requesterId, settings }) {
    const id = requesterId.toLowerCase()
    if (settings.denyRequesters.some(denied => denied.toLowerCase() === id)) return reject('RequestorNotAllowed', `requester ${id} is denied by this provider`)
    if (settings.allowRequesters.length > 0 && !settings.allowRequesters.some(allowed => allowed.toLowerCase() === id)) {
      return reject('RequestorNotAllowed', `requester ${id} is not on this provider's allow list`)
    }
    return accept()
  }
}
