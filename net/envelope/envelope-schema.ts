// A signed envelope as it crosses the wire inside a protocol message: bounded
// in every field, so a peer's message is refused before its signature is
// checked. What the payload may be is the protocol's own business.
import Type from 'typebox'

export const SignedEnvelopeSchema = Type.Object(
  {
    v: Type.Literal(1),
    type: Type.String({ minLength: 1, maxLength: 100 }),
    signer: Type.String({ maxLength: 42 }),
    payload: Type.Unknown(),
    sig: Type.String({ maxLength: 132 })
  },
  { additionalProperties: false }
)
