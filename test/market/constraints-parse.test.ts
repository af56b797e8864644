import assert from 'node:assert/strict'
import { CONSTRAINT_LIMITS, ConstraintLimitError, ConstraintSyntaxError, parseConstraints, printConstraints } from '../../market/language.ts'
import type { Constraint } from '../../market/language.ts'

const cmp = (name: string, operator: string, text: string): Constraint =>
  ({ kind: 'compare', attribute: { name }, operator, value: { kind: 'text', text } }) as Constraint

describe('constraint parser', () => {
  describe('accepts the Golem forms', () => {
    const cases: Array<[string, Constraint]> = [
      ['()', { kind: 'true' }],
      ['', { kind: 'true' }],
      ['  \n\t ', { kind: 'true' }],
      ['(a=1)', cmp('a', '=', '1')],
      ['a=1', cmp('a', '=', '1')],
      ['  a = 1  ', cmp('a', '=', '1')],
      ['(a<1)', cmp('a', '<', '1')],
      ['(a<=1)', cmp('a', '<=', '1')],
      ['(a>1)', cmp('a', '>', '1')],
      ['(a>=1)', cmp('a', '>=', '1')],
      ['(golem.runtime.name=vm)', cmp('golem.runtime.name', '=', 'vm')],
      [
        '(golem.com.payment.platform.erc20-holesky-tglm.address=*)',
        { kind: 'present', attribute: { name: 'golem.com.payment.platform.erc20-holesky-tglm.address' } }
      ],
      ['(golem.com.scheme.payu.debit-note.interval-sec?>=60)', cmp('golem.com.scheme.payu.debit-note.interval-sec?', '>=', '60')],
      ['(& (a=1) (b=2))', { kind: 'and', operands: [cmp('a', '=', '1'), cmp('b', '=', '2')] }],
      ['(|(a=1)(b=2)(c=3))', { kind: 'or', operands: [cmp('a', '=', '1'), cmp('b', '=', '2'), cmp('c', '=', '3')] }],
      ['(&)', { kind: 'and', operands: [] }],
      ['(|)', { kind: 'or', operands: [] }],
      ['(!(a=1))', { kind: 'not', operand: cmp('a', '=', '1') }],
      ['( ! ( a = 1 ) )', { kind: 'not', operand: cmp('a', '=', '1') }],
      [
        '(&(!(a=1))(|(b=2)()))',
        {
          kind: 'and',
          operands: [
            { kind: 'not', operand: cmp('a', '=', '1') },
            { kind: 'or', operands: [cmp('b', '=', '2'), { kind: 'true' }] }
          ]
        }
      ],
      [
        '(golem.runtime.name=wasm*)',
        { kind: 'compare', attribute: { name: 'golem.runtime.name' }, operator: '=', value: { kind: 'pattern', parts: ['wasm', ''] } }
      ],
      ['(a=*b*c)', { kind: 'compare', attribute: { name: 'a' }, operator: '=', value: { kind: 'pattern', parts: ['', 'b', 'c'] } }],
      ['(a=\\*)', cmp('a', '=', '*')],
      ['(a=x\\*y*)', { kind: 'compare', attribute: { name: 'a' }, operator: '=', value: { kind: 'pattern', parts: ['x*y', ''] } }],
      ['(a="*")', cmp('a', '=', '*')],
      ['(a="hello world")', cmp('a', '=', 'hello world')],
      ['(a="q\\"b\\\\s\\n\\t\\u0041")', cmp('a', '=', 'q"b\\s\n\tA')],
      ['(a=-1.5e+3)', cmp('a', '=', '-1.5e+3')],
      ['(a=true)', cmp('a', '=', 'true')],
      ['(a=0x3fA1)', cmp('a', '=', '0x3fA1')],
      [
        '(a=[x, 2 ,"y z"])',
        {
          kind: 'compare',
          attribute: { name: 'a' },
          operator: '=',
          value: {
            kind: 'list',
            items: [
              { kind: 'text', text: 'x' },
              { kind: 'text', text: '2' },
              { kind: 'text', text: 'y z' }
            ]
          }
        }
      ],
      ['(a=[])', { kind: 'compare', attribute: { name: 'a' }, operator: '=', value: { kind: 'list', items: [] } }],
      ['(a>=v"1.2.3-rc.1")', { kind: 'compare', attribute: { name: 'a' }, operator: '>=', value: { kind: 'version', text: '1.2.3-rc.1' } }],
      [
        '(a<t"2026-01-01T00:00:00+02:00")',
        { kind: 'compare', attribute: { name: 'a' }, operator: '<', value: { kind: 'time', text: '2026-01-01T00:00:00+02:00' } }
      ],
      ['(a=d"0.001")', { kind: 'compare', attribute: { name: 'a' }, operator: '=', value: { kind: 'decimal', text: '0.001' } }],
      [
        '(a=[v"1.0.0",d"2"])',
        {
          kind: 'compare',
          attribute: { name: 'a' },
          operator: '=',
          value: {
            kind: 'list',
            items: [
              { kind: 'version', text: '1.0.0' },
              { kind: 'decimal', text: '2' }
            ]
          }
        }
      ],
      [
        '(golem.inf.mem.gib[max]>=4)',
        { kind: 'compare', attribute: { name: 'golem.inf.mem.gib', aspect: 'max' }, operator: '>=', value: { kind: 'text', text: '4' } }
      ],
      ['(a[x.y]=*)', { kind: 'present', attribute: { name: 'a', aspect: 'x.y' } }],
      ['(a=x=y<z)', cmp('a', '=', 'x=y<z')],
      ['(a=vm)', cmp('a', '=', 'vm')],
      ['(a=v)', cmp('a', '=', 'v')]
    ]
    for (const [text, expected] of cases) {
      it(JSON.stringify(text), () => {
        const tree = parseConstraints(text)
        assert.deepEqual(tree, expected)
        assert.deepEqual(parseConstraints(printConstraints(tree)), expected, `printed as ${printConstraints(tree)}`)
      })
    }
  })

  describe('prints canonical text', () => {
    const cases: Array<[string, string]> = [
      ['( & (a = 1 ) ( b <= 2 ) )', '(&(a=1)(b<=2))'],
      ['a=1', '(a=1)'],
      ['', '()'],
      ['(a="plain")', '(a=plain)'],
      ['(a="two words")', '(a="two words")'],
      ['(a=\\*)', '(a="*")'],
      ['(a=x\\ y*)', '(a=x\\ y*)'],
      ['(a=[ 1 , "b" ])', '(a=[1,b])'],
      ['(a="")', '(a="")'],
      ['(a="\u0001")', '(a="\\u0001")'],
      ['(a[b] >= v"1.0.0")', '(a[b]>=v"1.0.0")']
    ]
    for (const [text, canonical] of cases) {
      it(`${JSON.stringify(text)} → ${canonical}`, () => {
        assert.equal(printConstraints(parseConstraints(text)), canonical)
      })
    }
  })

  describe('refuses broken text with the position and what was expected', () => {
    const cases: Array<[string, number, string]> = [
      ['(a=1', 4, "')'"],
      ['(&(a=1)', 7, "'(' or ')'"],
      ['(a~=1)', 2, 'an operator'],
      ['(a=1))', 5, 'end of input'],
      ['(=1)', 1, 'an attribute name'],
      ['(a.=1)', 3, "a name segment after '.'"],
      ['(a=)', 3, 'a value'],
      ['(a<x*)', 4, "a value without '*'"],
      ['(a<[1])', 3, 'a single value'],
      ['(a=[1,x*])', 7, "a list item without '*'"],
      ['(a=[1,2)', 7, "',' or ']'"],
      ['(a=[1,])', 6, 'a list item'],
      ['(!(a=1)(b=2))', 7, "')'"],
      ['(!a=1)', 2, "'(' to start the negated filter"],
      ['(a="open)', 9, "'\"' to close the string"],
      ['(a=v"1.x")', 5, 'a semantic version'],
      ['(a=t"2026-13-01T00:00:00Z")', 5, 'an RFC 3339 time'],
      ['(a=t"2026-01-01")', 5, 'an RFC 3339 time'],
      ['(a=d"1.2.3")', 5, 'a decimal number'],
      ['(a=d"0x10")', 5, 'a decimal number'],
      ['(a=b\\', 5, "a character after '\\'"],
      ['(a="\\u12")', 6, 'four hex digits'],
      ['(a[]=1)', 3, 'an aspect name'],
      ['(a[x=1)', 4, "']'"],
      ['(a=1)(b=2)', 5, 'end of input'],
      ['(a=b c)', 5, "')'"],
      ['&(a=1)', 0, 'an attribute name']
    ]
    for (const [text, position, expected] of cases) {
      it(JSON.stringify(text), () => {
        assert.throws(
          () => parseConstraints(text),
          (err: unknown) => {
            assert.ok(err instanceof ConstraintSyntaxError, `got ${String(err)}`)
            assert.equal(err.position, position, err.message)
            assert.ok(err.expected.startsWith(expected), `expected "${expected}…", got "${err.expected}"`)
            assert.match(err.message, new RegExp(`^expected .* at position ${position}, found `))
            return true
          }
        )
      })
    }
  })

  describe('limits', () => {
    it('refuses text longer than the limit before parsing it', () => {
      const text = `(a=${'x'.repeat(CONSTRAINT_LIMITS.maxTextLength)})`
      assert.throws(
        () => parseConstraints(text),
        (err: unknown) => err instanceof ConstraintLimitError && err.limit === 'maxTextLength'
      )
    })

    it('accepts nesting up to the depth limit and refuses one more', () => {
      const nest = (depth: number): string => `${'(!'.repeat(depth - 1)}(a=1)${')'.repeat(depth - 1)}`
      assert.doesNotThrow(() => parseConstraints(nest(CONSTRAINT_LIMITS.maxDepth)))
      assert.throws(
        () => parseConstraints(nest(CONSTRAINT_LIMITS.maxDepth + 1)),
        (err: unknown) => err instanceof ConstraintLimitError && err.limit === 'maxDepth'
      )
    })

    it('refuses more nodes than the limit', () => {
      const within = `(&${'(a=1)'.repeat(CONSTRAINT_LIMITS.maxNodes - 1)})`
      assert.doesNotThrow(() => parseConstraints(within))
      const over = `(&${'(a=1)'.repeat(CONSTRAINT_LIMITS.maxNodes)})`
      assert.throws(
        () => parseConstraints(over),
        (err: unknown) => err instanceof ConstraintLimitError && err.limit === 'maxNodes'
      )
    })

    it('counts list items as nodes', () => {
      const list = `(a=[${Array.from({ length: CONSTRAINT_LIMITS.maxNodes }, (_, i) => i).join(',')}])`
      assert.throws(
        () => parseConstraints(list),
        (err: unknown) => err instanceof ConstraintLimitError && err.limit === 'maxNodes'
      )
    })

    it('refuses patterns with more wildcards than the limit', () => {
      const atLimit = `(a=${'x*'.repeat(CONSTRAINT_LIMITS.maxWildcards)})`
      assert.doesNotThrow(() => parseConstraints(atLimit))
      const over = `(a=${'x*'.repeat(CONSTRAINT_LIMITS.maxWildcards + 1)})`
      assert.throws(
        () => parseConstraints(over),
        (err: unknown) => err instanceof ConstraintLimitError && err.limit === 'maxWildcards'
      )
    })
  })

  it('returns frozen trees, so a cached parse cannot be changed by a caller', () => {
    const tree = parseConstraints('(&(a=1))')
    assert.ok(Object.isFrozen(tree))
    assert.throws(() => {
      ;(tree as { kind: string }).kind = 'or'
    }, TypeError)
    assert.equal(printConstraints(parseConstraints('(&(a=1))')), '(&(a=1))')
  })
})

describe('constraint printer edge cases', () => {
  it('quotes a text value that starts with "=" so it does not join the operator', () => {
    const tree: Constraint = { kind: 'compare', attribute: { name: 'a' }, operator: '>', value: { kind: 'text', text: '=>' } }
    assert.deepEqual(parseConstraints(printConstraints(tree)), tree)
  })
})
