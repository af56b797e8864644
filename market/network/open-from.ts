// Every message the other party sends directly is opened the same way: the
// envelope must verify, be signed by the node that sent it, and carry a
// payload of the expected shape.
import { verifyEnvelope } from '../../net/index.ts'
import type { NodeId, SignedEnvelope, Validator } from '../../net/index.ts'
import type { Static, TSchema } from 'typebox'
import { MarketError } from '../errors.ts'

/** The checked payload; refuses (BadRequest) `what` signed by anyone but its `signer`, the sender. */
export function openFrom<S extends TSchema>(
  message: { envelope: SignedEnvelope },
  from: NodeId,
  type: string,
  payload: Validator<S>,
  what: string,
  signer = 'sender'
): Static<S> {
  if (verifyEnvelope(message.envelope, type) !== from) throw new MarketError('BadRequest', `${what} must be signed by its ${signer}`)
  return payload.parse(message.envelope.payload)
}
