// A reason (for a rejection, cancellation or termination) has one set of
// bounds, shared by the REST schema and the wire payloads, so that whatever
// the API accepts also travels: a message, and a few flat scalar extras such
// as `golem.requestor.code` or `golem.proposal.rejection.is-final`. The whole
// stays well under a message's size limit (about 45 KB at most).
import Type from 'typebox'
import type { Static } from 'typebox'

export const REASON_LIMITS = Object.freeze({
  messageLength: 4096,
  properties: 32,
  nameLength: 256,
  valueLength: 1024
})

export const Reason = Type.Object(
  {
    message: Type.String({ maxLength: REASON_LIMITS.messageLength })
  },
  {
    additionalProperties: Type.Union([Type.String({ maxLength: REASON_LIMITS.valueLength }), Type.Number(), Type.Boolean(), Type.Null()]),
    propertyNames: { maxLength: REASON_LIMITS.nameLength },
    maxProperties: REASON_LIMITS.properties,
    description:
      `A message of up to ${REASON_LIMITS.messageLength} characters and up to ${REASON_LIMITS.properties - 1} more flat properties ` +
      `(names up to ${REASON_LIMITS.nameLength} characters; values strings up to ${REASON_LIMITS.valueLength}, numbers, booleans or null).`
  }
)
export type Reason = Static<typeof Reason>
