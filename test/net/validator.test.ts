import assert from 'node:assert/strict'
import Type from 'typebox'
import { validator, SchemaError } from '../../net/index.ts'

describe('schema validator', () => {
  const offer = validator(
    Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 8 }),
        threads: Type.Integer({ minimum: 1 })
      },
      { additionalProperties: false }
    ),
    'offer'
  )

  it('returns valid values unchanged', () => {
    const value = { id: 'a', threads: 2 }
    assert.equal(offer.parse(value), value)
    assert.equal(offer.check({ id: 'a', threads: 0 }), false)
  })

  it('names the offending path and the rule', () => {
    assert.throws(
      () => offer.parse({ id: 'a', threads: 0 }),
      (err: unknown) => {
        assert.ok(err instanceof SchemaError)
        assert.equal(err.path, '/threads')
        assert.match(err.message, /^offer at \/threads: .*1/)
        return true
      }
    )
    assert.throws(() => offer.parse({ id: 'a', threads: 1, extra: true }), /offer: must not have additional properties \(extra\)/)
    assert.throws(() => offer.parse('nope', 'body'), /^SchemaError|body/)
  })
})
