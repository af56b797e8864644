import assert from 'node:assert/strict'
import { evaluate, parseConstraints, satisfies } from '../../market/language.ts'
import type { Truth } from '../../market/language.ts'
import type { PropertyMap } from '../../market/constraints/evaluator.ts'

// Properties as evaluate reads them: values of any type, as gossip delivers them.
type Row = [constraint: string, properties: PropertyMap, expected: Truth]

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const [constraint, properties, expected] of rows) {
      it(`${constraint} on ${JSON.stringify(properties)} is ${expected}`, () => {
        assert.equal(evaluate(parseConstraints(constraint), properties), expected)
        assert.equal(satisfies(constraint, properties), expected === 'True')
      })
    }
  })
}

// Leaves with a known truth value, to build the logic tables from.
const LEAF: Record<Truth, string> = { True: '(t=1)', False: '(t=2)', Undefined: '(missing=1)' }
const P = { t: 1 }
const TRUTHS: Truth[] = ['True', 'False', 'Undefined']

describe('constraint evaluation', () => {
  describe('three-valued logic', () => {
    const and = (a: Truth, b: Truth): Truth => (a === 'False' || b === 'False' ? 'False' : a === 'Undefined' || b === 'Undefined' ? 'Undefined' : 'True')
    const or = (a: Truth, b: Truth): Truth => (a === 'True' || b === 'True' ? 'True' : a === 'Undefined' || b === 'Undefined' ? 'Undefined' : 'False')
    const not: Record<Truth, Truth> = { True: 'False', False: 'True', Undefined: 'Undefined' }
    for (const a of TRUTHS) {
      it(`NOT ${a} is ${not[a]}`, () => assert.equal(evaluate(parseConstraints(`(!${LEAF[a]})`), P), not[a]))
      for (const b of TRUTHS) {
        it(`${a} AND ${b} is ${and(a, b)}`, () => assert.equal(evaluate(parseConstraints(`(&${LEAF[a]}${LEAF[b]})`), P), and(a, b)))
        it(`${a} OR ${b} is ${or(a, b)}`, () => assert.equal(evaluate(parseConstraints(`(|${LEAF[a]}${LEAF[b]})`), P), or(a, b)))
      }
    }
    it('the leaves are what the tables assume', () => {
      for (const t of TRUTHS) assert.equal(evaluate(parseConstraints(LEAF[t]), P), t)
    })
    it('AND and OR over three operands short-circuit on False and True only', () => {
      assert.equal(evaluate(parseConstraints('(&(t=1)(missing=1)(t=2))'), P), 'False')
      assert.equal(evaluate(parseConstraints('(|(t=2)(missing=1)(t=1))'), P), 'True')
      assert.equal(evaluate(parseConstraints('(&(t=1)(missing=1)(t=1))'), P), 'Undefined')
    })
  })

  table('empty and vacuous filters', [
    ['()', {}, 'True'],
    ['', {}, 'True'],
    ['(&)', {}, 'True'],
    ['(|)', {}, 'False'],
    ['(!())', {}, 'False']
  ])

  table('numbers', [
    ['(n=4)', { n: 4 }, 'True'],
    ['(n=4)', { n: 5 }, 'False'],
    ['(n=4.0)', { n: 4 }, 'True'],
    ['(n=4e0)', { n: 4 }, 'True'],
    ['(n=+4)', { n: 4 }, 'True'],
    ['(n<4)', { n: 3.5 }, 'True'],
    ['(n<4)', { n: 4 }, 'False'],
    ['(n<=4)', { n: 4 }, 'True'],
    ['(n<=4)', { n: 4.0001 }, 'False'],
    ['(n>4)', { n: 4.0001 }, 'True'],
    ['(n>4)', { n: 4 }, 'False'],
    ['(n>=4)', { n: 4 }, 'True'],
    ['(n>=4)', { n: 3 }, 'False'],
    ['(n>=0.5)', { n: 8 }, 'True'],
    ['(n>-1)', { n: 0 }, 'True'],
    ['(n<1e-7)', { n: 1e-8 }, 'True'],
    ['(n=1e21)', { n: 1e21 }, 'True'],
    ['(n>1700000000000)', { n: 1767225600000 }, 'True'],
    // Numbers compare as the exact decimal of the property's shortest text.
    ['(n=0.1)', { n: 0.1 }, 'True'],
    ['(n=0.3)', { n: 0.1 + 0.2 }, 'False'],
    ['(n=0.30000000000000004)', { n: 0.1 + 0.2 }, 'True'],
    ['(n=0.30000000000000001)', { n: 0.3 }, 'False'],
    ['(n>0.3)', { n: 0.30000000000000004 }, 'True'],
    ['(n<0.30000000000000001)', { n: 0.3 }, 'True'],
    ['(n>0.29999999999999999)', { n: 0.3 }, 'True'],
    ['(n=1e400)', { n: 1e300 }, 'False'],
    ['(n<1e400)', { n: 1e300 }, 'True'],
    ['(n>1e-400)', { n: 0 }, 'False'],
    ['(n>1e-400)', { n: 5e-324 }, 'True'],
    ['(n=-0)', { n: 0 }, 'True'],
    ['(n=abc)', { n: 4 }, 'Undefined'],
    ['(n<abc)', { n: 4 }, 'Undefined'],
    ['(n=0x10)', { n: 16 }, 'Undefined']
  ])

  table('strings', [
    ['(s=vm)', { s: 'vm' }, 'True'],
    ['(s=vm)', { s: 'VM' }, 'False'],
    ['(s="two words")', { s: 'two words' }, 'True'],
    ['(s=10)', { s: '10' }, 'True'],
    ['(s=10)', { s: '10.0' }, 'False'],
    ['(s<b)', { s: 'a' }, 'True'],
    ['(s<b)', { s: 'b' }, 'False'],
    ['(s<=b)', { s: 'b' }, 'True'],
    ['(s>b)', { s: 'ba' }, 'True'],
    ['(s>=b)', { s: 'a' }, 'False'],
    // Strings order by UTF-16 code units, so digits are not numbers here.
    ['(s>=10)', { s: '4' }, 'True']
  ])

  table('booleans', [
    ['(b=true)', { b: true }, 'True'],
    ['(b=true)', { b: false }, 'False'],
    ['(b=false)', { b: false }, 'True'],
    ['(b="true")', { b: true }, 'True'],
    ['(b=TRUE)', { b: true }, 'Undefined'],
    ['(b=1)', { b: true }, 'Undefined'],
    ['(b<true)', { b: false }, 'Undefined'],
    ['(!(b=true))', { b: false }, 'True']
  ])

  table('presence and missing properties', [
    ['(a=*)', { a: 1 }, 'True'],
    ['(a=*)', { a: '' }, 'True'],
    ['(a=*)', { a: false }, 'True'],
    ['(a=*)', { a: [] }, 'True'],
    ['(a=*)', {}, 'False'],
    ['(a=*)', { b: 1 }, 'False'],
    ['(!(a=*))', {}, 'True'],
    ['(a=1)', {}, 'Undefined'],
    ['(a<1)', {}, 'Undefined'],
    ['(!(a=1))', {}, 'Undefined'],
    // Inherited object members are not properties.
    ['(constructor=*)', {}, 'False'],
    ['(toString=x)', {}, 'Undefined'],
    ['(__proto__=*)', {}, 'False']
  ])

  table('wildcards', [
    ['(s=wasm*)', { s: 'wasmtime' }, 'True'],
    ['(s=wasm*)', { s: 'wasm' }, 'True'],
    ['(s=wasm*)', { s: 'vm' }, 'False'],
    ['(s=*time)', { s: 'wasmtime' }, 'True'],
    ['(s=*time)', { s: 'timeout' }, 'False'],
    ['(s=w*e)', { s: 'wasmtime' }, 'True'],
    ['(s=w*e)', { s: 'we' }, 'True'],
    ['(s=w*e)', { s: 'e' }, 'False'],
    ['(s=a*b*c)', { s: 'aXbYc' }, 'True'],
    ['(s=a*b*c)', { s: 'acb' }, 'False'],
    ['(s=a*ab*b)', { s: 'aab' }, 'False'],
    ['(s=a*ab*b)', { s: 'aabb' }, 'True'],
    ['(s=*a*a*)', { s: 'a' }, 'False'],
    ['(s=*a*a*)', { s: 'xaxa' }, 'True'],
    ['(s=**)', { s: '' }, 'True'],
    ['(s=x\\*y*)', { s: 'x*yz' }, 'True'],
    ['(s=x\\*y*)', { s: 'xAyz' }, 'False'],
    ['(s=\\*)', { s: '*' }, 'True'],
    ['(s=\\*)', { s: 'anything' }, 'False'],
    ['(s="a*")', { s: 'abc' }, 'False'],
    ['(s="a*")', { s: 'a*' }, 'True'],
    ['(s=vm*)', { s: 4 }, 'Undefined'],
    ['(l=golem.usage.*)', { l: ['x', 'golem.usage.cpu_sec'] }, 'True'],
    ['(l=golem.usage.*)', { l: ['x', 'y'] }, 'False'],
    ['(l=golem.usage.*)', { l: [1, 2] }, 'Undefined']
  ])

  table('lists', [
    ['(l=b)', { l: ['a', 'b'] }, 'True'],
    ['(l=c)', { l: ['a', 'b'] }, 'False'],
    ['(l=2)', { l: [1, 2, 3] }, 'True'],
    ['(l=2.0)', { l: [1, 2, 3] }, 'True'],
    ['(l=c)', { l: [] }, 'False'],
    ['(l=c)', { l: [1, 2] }, 'Undefined'],
    ['(l=c)', { l: [1, 'c'] }, 'True'],
    ['(l<3)', { l: [1, 2] }, 'Undefined'],
    ['(l=[a,b])', { l: ['a', 'b'] }, 'True'],
    ['(l=[b,a])', { l: ['a', 'b'] }, 'False'],
    ['(l=[a])', { l: ['a', 'b'] }, 'False'],
    ['(l=[])', { l: [] }, 'True'],
    ['(l=[0.0001,0.00005,0.0])', { l: [0.0001, 0.00005, 0.0] }, 'True'],
    ['(l=[1,x])', { l: [1, 2] }, 'Undefined'],
    ['(l=[1,x])', { l: [3, 2] }, 'False'],
    // A list literal against a single value asks "one of these".
    ['(s=[vm,wasmtime])', { s: 'wasmtime' }, 'True'],
    ['(s=[vm,wasmtime])', { s: 'docker' }, 'False'],
    ['(n=[1,2])', { n: 2 }, 'True'],
    ['(n=[x,y])', { n: 2 }, 'Undefined']
  ])

  table('semantic versions', [
    ['(v>=v"1.2.0")', { v: '1.10.0' }, 'True'],
    ['(v>=v"1.10.0")', { v: '1.9.0' }, 'False'],
    ['(v=v"1.2.3")', { v: '1.2.3' }, 'True'],
    ['(v=v"1.2.3")', { v: 'v1.2.3' }, 'True'],
    ['(v=v"1.2.3")', { v: '1.2.3+build.5' }, 'True'],
    ['(v<v"1.0.0")', { v: '1.0.0-rc.1' }, 'True'],
    ['(v<v"1.0.0-rc.2")', { v: '1.0.0-rc.1' }, 'True'],
    ['(v<v"1.0.0-beta")', { v: '1.0.0-alpha.9' }, 'True'],
    ['(v>v"1.0.0-alpha")', { v: '1.0.0-alpha.1' }, 'True'],
    ['(v>v"1.0.0-rc.10")', { v: '1.0.0-rc.9' }, 'False'],
    ['(v>=v"1.0.0")', { v: 'not a version' }, 'Undefined'],
    ['(v>=v"1.0.0")', { v: 1 }, 'Undefined'],
    ['(l=v"2.0.0")', { l: ['1.0.0', '2.0.0'] }, 'True']
  ])

  table('instants', [
    ['(t<t"2026-01-01T00:00:00Z")', { t: '2025-12-31T23:59:59.999Z' }, 'True'],
    ['(t=t"2026-01-01T00:00:00Z")', { t: '2026-01-01T02:00:00+02:00' }, 'True'],
    ['(t=t"2026-01-01T00:00:00Z")', { t: '2025-12-31T19:30:00-04:30' }, 'True'],
    ['(t=t"2026-01-01T00:00:00.000000001Z")', { t: '2026-01-01T00:00:00Z' }, 'False'],
    ['(t>t"2026-01-01T00:00:00Z")', { t: '2026-01-01T00:00:00.000000001Z' }, 'True'],
    ['(t=t"2026-01-01T00:00:00Z")', { t: 1767225600000 }, 'True'],
    ['(t<t"2026-01-01T00:00:00Z")', { t: 1767225599999 }, 'True'],
    ['(t>=t"0050-06-01T00:00:00Z")', { t: '0049-12-31T23:59:59Z' }, 'False'],
    ['(t<t"2026-01-01T00:00:00Z")', { t: 'yesterday' }, 'Undefined'],
    ['(t<t"2026-01-01T00:00:00Z")', { t: true }, 'Undefined']
  ])

  table('exact decimals', [
    ['(p=d"0.1")', { p: 0.1 }, 'True'],
    ['(p=d"0.10")', { p: '0.1' }, 'True'],
    ['(p=d"0.30000000000000001")', { p: 0.3 }, 'False'],
    ['(p<d"0.30000000000000001")', { p: 0.3 }, 'True'],
    ['(p=d"0.3")', { p: 0.1 + 0.2 }, 'False'],
    ['(p>d"0.3")', { p: 0.1 + 0.2 }, 'True'],
    ['(p>=d"0.0001")', { p: 0.0001 }, 'True'],
    ['(p<d"1e-4")', { p: '0.00009999999999999999999999' }, 'True'],
    ['(p=d"100")', { p: '1e2' }, 'True'],
    ['(p=d"-0")', { p: '0.000' }, 'True'],
    ['(p>d"-1")', { p: '-0.5' }, 'True'],
    ['(p<d"12345678901234567890.5")', { p: '12345678901234567890.49' }, 'True'],
    ['(p=d"1")', { p: 'one' }, 'Undefined'],
    ['(p=d"1")', { p: true }, 'Undefined'],
    // A bare number against a string property is a string comparison; d"" reads the string.
    ['(p=0.1)', { p: '0.10' }, 'False'],
    ['(p=d"0.1")', { p: '0.10' }, 'True']
  ])

  table('aspects', [
    ['(a[max]>=4)', { a: 2, 'a[max]': 8 }, 'True'],
    ['(a[max]>=4)', { a: 8 }, 'Undefined'],
    ['(a[max]=*)', { a: 8 }, 'False'],
    ['(a[max]=*)', { 'a[max]': 1 }, 'True']
  ])

  table('properties of unexpected types (not normalised) are Undefined', [
    ['(a=1)', { a: null }, 'Undefined'],
    ['(a=1)', { a: { b: 1 } }, 'Undefined'],
    ['(a=1)', { a: Number.NaN }, 'Undefined'],
    ['(a=*)', { a: null }, 'False']
  ])

  it('evaluates the same tree many times with the same result', () => {
    const tree = parseConstraints('(&(a>=2)(b=x*))')
    for (let i = 0; i < 3; i++) {
      assert.equal(evaluate(tree, { a: 2, b: 'xy' }), 'True')
      assert.equal(evaluate(tree, { a: 1, b: 'xy' }), 'False')
      assert.equal(evaluate(tree, { b: 'xy' }), 'Undefined')
    }
  })
})
