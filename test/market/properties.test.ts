import assert from 'node:assert/strict'
import { normaliseProperties, PropertiesError, PROPERTY_LIMITS } from '../../market/language.ts'

function refuses(input: unknown, messagePart: RegExp, key?: string): void {
  assert.throws(
    () => normaliseProperties(input),
    (err: unknown) => {
      assert.ok(err instanceof PropertiesError, `got ${String(err)}`)
      assert.match(err.message, messagePart)
      if (key !== undefined) assert.equal(err.key, key)
      return true
    }
  )
}

describe('properties normalisation', () => {
  it('keeps flat dotted keys as they are', () => {
    const input = { 'golem.inf.cpu.threads': 4, 'golem.runtime.name': 'vm', 'golem.srv.caps.multi-activity': true }
    assert.deepEqual(normaliseProperties(input), input)
  })

  it('flattens nested objects to dotted keys', () => {
    assert.deepEqual(normaliseProperties({ golem: { inf: { cpu: { threads: 4 }, mem: { gib: 8 } }, srv: { caps: { 'multi-activity': true } } } }), {
      'golem.inf.cpu.threads': 4,
      'golem.inf.mem.gib': 8,
      'golem.srv.caps.multi-activity': true
    })
  })

  it('flattens a mix of nested and dotted keys', () => {
    assert.deepEqual(normaliseProperties({ 'golem.inf': { 'cpu.threads': 4 }, golem: { 'runtime.name': 'vm' }, 'golem.inf.mem.gib': 8 }), {
      'golem.inf.cpu.threads': 4,
      'golem.runtime.name': 'vm',
      'golem.inf.mem.gib': 8
    })
  })

  it('reads "@tag" as the value of a key that also has children', () => {
    assert.deepEqual(normaliseProperties({ a: { '@tag': 'x', b: 1 } }), { a: 'x', 'a.b': 1 })
    assert.deepEqual(normaliseProperties({ golem: { com: { pricing: { model: { '@tag': 'linear', linear: { coeffs: [0.0001, 0.00005, 0] } } } } } }), {
      'golem.com.pricing.model': 'linear',
      'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0]
    })
  })

  it('keeps lists of scalars, mixed types and empty lists included', () => {
    assert.deepEqual(normaliseProperties({ l: ['golem.usage.cpu_sec', 'golem.usage.duration_sec'], m: [1, 'a', false], e: [] }), {
      l: ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
      m: [1, 'a', false],
      e: []
    })
  })

  it('drops null values, which mean "not set"', () => {
    assert.deepEqual(normaliseProperties({ a: null, b: { c: null, d: 1 }, e: { '@tag': null } }), { 'b.d': 1 })
  })

  it('accepts the same key twice with the same value', () => {
    assert.deepEqual(normaliseProperties({ 'a.b': [1, 2], a: { b: [1, 2] } }), { 'a.b': [1, 2] })
  })

  it('accepts aspect keys and Golem\'s "?" suffix', () => {
    assert.deepEqual(normaliseProperties({ 'golem.inf.mem.gib[max]': 8, 'golem.com.scheme.payu.debit-note.interval-sec?': 120 }), {
      'golem.inf.mem.gib[max]': 8,
      'golem.com.scheme.payu.debit-note.interval-sec?': 120
    })
  })

  it('keeps "__proto__" as a plain key rather than a prototype', () => {
    const flat = normaliseProperties(JSON.parse('{"__proto__": {"x": 1}}'))
    assert.equal(Object.getPrototypeOf(flat), Object.prototype)
    assert.deepEqual(Object.keys(flat), ['__proto__.x'])
  })

  it('returns a copy that does not share lists with the input', () => {
    const input = { l: [1, 2] }
    const flat = normaliseProperties(input)
    input.l.push(3)
    assert.deepEqual(flat.l, [1, 2])
  })

  describe('refuses', () => {
    const cases: Array<[string, unknown, RegExp, string | undefined]> = [
      ['a non-object', 'golem', /must be a JSON object, not a string/, undefined],
      ['null', null, /must be a JSON object, not null/, undefined],
      ['a top-level list', [1], /must be a JSON object, not a list/, undefined],
      ['an empty key', { '': 1 }, /"" is not valid: it is empty/, ''],
      ['a key with a space', { 'golem.inf.cpu threads': 4 }, /"golem.inf.cpu threads" is not valid: it contains white space/, 'golem.inf.cpu threads'],
      ['a nested key with a space', { golem: { 'cpu threads': 4 } }, /"golem.cpu threads".*white space/, 'golem.cpu threads'],
      ['a doubled dot', { 'a..b': 1 }, /empty segment/, 'a..b'],
      ['a trailing dot', { 'a.': 1 }, /empty segment/, 'a.'],
      ['an empty nested segment', { a: { '': 1 } }, /"a\." is not valid/, 'a.'],
      ['a character constraints cannot name', { 'a(b)': 1 }, /character "\(" is not allowed/, 'a(b)'],
      ['a malformed aspect', { 'a[x': 1 }, /name\[aspect\]/, 'a[x'],
      ['an object inside a list', { l: [{ a: 1 }] }, /"l": list item 0 must be a string, a finite number or a boolean, not an object/, 'l'],
      ['a list inside a list', { l: [1, [2]] }, /"l": list item 1 .* not a list/, 'l'],
      ['null inside a list', { l: [null] }, /"l": list item 0 .* not null/, 'l'],
      ['NaN', { n: Number.NaN }, /"n": must be a finite number/, 'n'],
      ['Infinity', { n: Infinity }, /"n": must be a finite number/, 'n'],
      ['a bigint', { n: 1n }, /"n": must be a string.* not a bigint/, 'n'],
      ['a Date', { d: new Date(0) }, /"d": .* not a Date/, 'd'],
      ['conflicting values for one key', { 'a.b': 1, a: { b: 2 } }, /"a.b" is given twice with different values/, 'a.b'],
      ['a "@tag" that conflicts with a flat key', { 'x.a': 'y', x: { a: { '@tag': 'z' } } }, /"x.a" is given twice/, 'x.a'],
      ['"@tag" at the top', { '@tag': 1 }, /"@tag" must be inside an object/, '@tag'],
      ['"@tag" holding an object', { a: { '@tag': { b: 1 } } }, /"a": "@tag" must hold a value/, 'a'],
      ['a key over the length limit', { ['k'.repeat(PROPERTY_LIMITS.maxKeyLength + 1)]: 1 }, /longer than 256/, undefined],
      [
        'a string over the length limit',
        { s: 'x'.repeat(PROPERTY_LIMITS.maxStringLength + 1) },
        /"s": is a string of 16385 characters; the limit is 16384/,
        's'
      ],
      ['a list string over the length limit', { l: ['x'.repeat(PROPERTY_LIMITS.maxStringLength + 1)] }, /"l": list item 0 is a string/, 'l'],
      ['a list over the length limit', { l: new Array(PROPERTY_LIMITS.maxListLength + 1).fill(0) }, /"l": list has 1025 items/, 'l'],
      [
        'too many properties',
        Object.fromEntries(Array.from({ length: PROPERTY_LIMITS.maxProperties + 1 }, (_, i) => [`p${i}`, i])),
        /more than 1024 properties/,
        'p1024'
      ]
    ]
    for (const [what, input, message, key] of cases) {
      it(what, () => refuses(input, message, key))
    }

    it('nesting deeper than the limit', () => {
      let deep: Record<string, unknown> = { leaf: 1 }
      for (let i = 0; i < PROPERTY_LIMITS.maxNestingDepth + 5; i++) deep = { n: deep }
      refuses(deep, /nested deeper than 32 levels/)
    })
  })

  it('accepts exactly the limits', () => {
    const many = Object.fromEntries(Array.from({ length: PROPERTY_LIMITS.maxProperties }, (_, i) => [`p${i}`, i]))
    assert.equal(Object.keys(normaliseProperties(many)).length, PROPERTY_LIMITS.maxProperties)
    const longKey = 'k'.repeat(PROPERTY_LIMITS.maxKeyLength)
    assert.deepEqual(Object.keys(normaliseProperties({ [longKey]: 1 })), [longKey])
    assert.equal(normaliseProperties({ s: 'x'.repeat(PROPERTY_LIMITS.maxStringLength) }).s, 'x'.repeat(PROPERTY_LIMITS.maxStringLength))
  })
})
