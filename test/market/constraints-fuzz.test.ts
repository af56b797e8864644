import assert from 'node:assert/strict'
import { ConstraintLimitError, ConstraintSyntaxError, evaluate, parseConstraints, printConstraints } from '../../market/language.ts'
import type { Constraint } from '../../market/language.ts'
import { SeededDraws } from '../helpers/prng.ts'

// Seeded so that a failure can be replayed: the seed is in every message.
const SEED = Number(process.env.CONSTRAINT_FUZZ_SEED ?? 20260101)

class Gen extends SeededDraws {
  string(alphabet: string, min: number, max: number): string {
    const chars = [...alphabet]
    let out = ''
    for (let n = min + this.int(max - min + 1); n > 0; n--) out += this.pick(chars)
    return out
  }
}

const NAME_CHARS = "abcxyz019-_?@$:/#%'{}^+;`"
const VALUE_CHARS = 'ab1.-_ ()[]*,"\\\n\tvdt=<>&|!é😀\u0000\u007f'
const VERSIONS = ['1.2.3', '0.0.1-rc.1', '10.20.30+build.1', '1.0.0-alpha.beta', 'v2.0.0']
const TIMES = ['2026-01-01T00:00:00Z', '1999-12-31T23:59:59.123456789+05:30', '2024-02-29t12:00:00-00:00']
const OPERATORS = ['=', '<', '<=', '>', '>='] as const

function attribute(g: Gen): { name: string; aspect?: string } {
  const segments = Array.from({ length: 1 + g.int(3) }, () => g.string(NAME_CHARS, 1, 6))
  const name = segments.join('.')
  return g.int(5) === 0 ? { name, aspect: g.string(`${NAME_CHARS}.`, 1, 5) } : { name }
}

function decimalText(g: Gen): string {
  const sign = g.pick(['', '-', '+'])
  const whole = g.string('0123456789', 1, 25)
  const fraction = g.int(2) === 0 ? '' : `.${g.string('0123456789', 0, 25)}`
  const exponent = g.int(3) === 0 ? `e${g.pick(['', '+', '-'])}${g.int(400)}` : ''
  return sign + whole + fraction + exponent
}

function scalar(g: Gen): { kind: 'text' | 'version' | 'time' | 'decimal'; text: string } {
  switch (g.int(6)) {
    case 0:
      return { kind: 'version', text: g.pick(VERSIONS) }
    case 1:
      return { kind: 'time', text: g.pick(TIMES) }
    case 2:
      return { kind: 'decimal', text: decimalText(g) }
    case 3:
      return { kind: 'text', text: decimalText(g) }
    default:
      return { kind: 'text', text: g.string(VALUE_CHARS, 0, 8) }
  }
}

function pattern(g: Gen): { kind: 'pattern'; parts: string[] } {
  for (;;) {
    const parts = Array.from({ length: 2 + g.int(4) }, () => g.string(VALUE_CHARS, 0, 4))
    if (!(parts.length === 2 && parts[0] === '' && parts[1] === '')) return { kind: 'pattern', parts }
  }
}

function constraint(g: Gen, depth: number): Constraint {
  const leaf = depth >= 5 || g.int(3) === 0
  const choice = leaf ? 4 + g.int(3) : g.int(7)
  switch (choice) {
    case 0:
      return { kind: 'and', operands: Array.from({ length: g.int(4) }, () => constraint(g, depth + 1)) }
    case 1:
      return { kind: 'or', operands: Array.from({ length: g.int(4) }, () => constraint(g, depth + 1)) }
    case 2:
      return { kind: 'not', operand: constraint(g, depth + 1) }
    case 3:
      return { kind: 'true' }
    case 4:
      return { kind: 'present', attribute: attribute(g) }
    default: {
      const operator = g.pick(OPERATORS)
      if (operator !== '=') return { kind: 'compare', attribute: attribute(g), operator, value: scalar(g) }
      const kind = g.int(4)
      const value = kind === 0 ? pattern(g) : kind === 1 ? { kind: 'list' as const, items: Array.from({ length: g.int(4) }, () => scalar(g)) } : scalar(g)
      return { kind: 'compare', attribute: attribute(g), operator, value }
    }
  }
}

function onlyConstraintErrors(text: string, context: string): void {
  try {
    const tree = parseConstraints(text)
    // Whatever parses must print to text that parses to the same tree.
    assert.deepEqual(parseConstraints(printConstraints(tree)), tree, `${context}: reprint of ${JSON.stringify(text)}`)
  } catch (err) {
    if (err instanceof ConstraintSyntaxError || err instanceof ConstraintLimitError) return
    assert.fail(`${context}: ${JSON.stringify(text)} threw ${String(err)}`)
  }
}

describe('constraint fuzzing', function () {
  // Thousands of cases each: CPU-bound, so a loaded machine needs room.
  this.timeout(180_000)
  it(`print → parse → print round-trips 3000 random trees (seed ${SEED})`, () => {
    const g = new Gen(SEED)
    for (let i = 0; i < 3000; i++) {
      const tree = constraint(g, 0)
      const text = printConstraints(tree)
      let reparsed: Constraint
      try {
        reparsed = parseConstraints(text)
      } catch (err) {
        assert.fail(`seed ${SEED} case ${i}: ${text} did not parse: ${String(err)}`)
      }
      assert.deepEqual(reparsed, tree, `seed ${SEED} case ${i}: ${text}`)
      assert.equal(printConstraints(reparsed), text, `seed ${SEED} case ${i}`)
    }
  })

  it(`random garbage only ever raises constraint errors (seed ${SEED})`, () => {
    const g = new Gen(SEED + 1)
    const grammar = '()&|!=<>*[],"\\ \tvdt.ab19-_~e+'
    for (let i = 0; i < 5000; i++) {
      let text = g.string(grammar, 0, 40)
      if (i % 2 === 0) {
        const junk = Array.from({ length: g.int(6) }, () => String.fromCharCode(g.int(0x10000))).join('')
        const at = g.int(text.length + 1)
        text = text.slice(0, at) + junk + text.slice(at)
      }
      onlyConstraintErrors(text, `seed ${SEED} garbage ${i}`)
    }
  })

  it(`mutated valid texts only ever raise constraint errors (seed ${SEED})`, () => {
    const g = new Gen(SEED + 2)
    for (let i = 0; i < 3000; i++) {
      const chars = [...printConstraints(constraint(g, 0))]
      for (let edits = 1 + g.int(3); edits > 0; edits--) {
        const at = g.int(chars.length + 1)
        const op = g.int(3)
        if (op === 0) chars.splice(at, 1)
        else if (op === 1) chars.splice(at, 0, g.pick([...'()&|!=<>*[],"\\ v']))
        else chars.splice(at, 1, String.fromCharCode(g.int(0x10000)))
      }
      onlyConstraintErrors(chars.join(''), `seed ${SEED} mutation ${i}`)
    }
  })

  it(`numbers compare exactly as decimals of the property's shortest text (seed ${SEED})`, () => {
    // An independent oracle: both sides as bigint over a power of ten.
    const exact = (text: string): [bigint, number] => {
      const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text)
      if (m === null) throw new Error(`oracle cannot read ${text}`)
      const fraction = m[3] ?? ''
      let scale = fraction.length - Number(m[4] ?? '0')
      let mantissa = BigInt((m[2] ?? '') + fraction || '0')
      if (scale < 0) {
        mantissa *= 10n ** BigInt(-scale)
        scale = 0
      }
      return [m[1] === '-' ? -mantissa : mantissa, scale]
    }
    const order = (a: string, b: string): number => {
      const [ma, sa] = exact(a)
      const [mb, sb] = exact(b)
      const scale = Math.max(sa, sb)
      const x = ma * 10n ** BigInt(scale - sa)
      const y = mb * 10n ** BigInt(scale - sb)
      return x === y ? 0 : x < y ? -1 : 1
    }
    const holds: Record<string, (o: number) => boolean> = { '=': o => o === 0, '<': o => o < 0, '<=': o => o <= 0, '>': o => o > 0, '>=': o => o >= 0 }
    const g = new Gen(SEED + 3)
    for (let i = 0; i < 2000; i++) {
      const p = g.pick([
        () => g.random() * 10,
        () => g.int(1000) / 100,
        () => (g.random() - 0.5) * 1e-6,
        () => g.int(1e6) * 1e12,
        () => 0.1 * g.int(10) + 0.2
      ])()
      const shortest = String(p)
      const q = p + (g.random() - 0.5) * Math.abs(p) * 1e-15
      const literals = [
        shortest,
        p.toPrecision(17),
        p.toPrecision(25),
        p.toExponential(18),
        String(q),
        shortest.includes('e') ? shortest : `${shortest}${shortest.includes('.') ? '' : '.'}0000000000000000001`
      ]
      for (const literal of literals) {
        for (const op of OPERATORS) {
          const expected = holds[op]?.(order(shortest, literal)) === true ? 'True' : 'False'
          for (const text of [`(n${op}${literal})`, `(n${op}d"${literal}")`]) {
            assert.equal(evaluate(parseConstraints(text), { n: p }), expected, `seed ${SEED} case ${i}: ${text} with n=${shortest}`)
          }
        }
      }
    }
  })

  describe('hostile input', () => {
    const limit =
      (name: string) =>
      (err: unknown): boolean =>
        err instanceof ConstraintLimitError && err.limit === name

    it('refuses 100000 nested negations', () => {
      const text = `${'(!'.repeat(100000)}(a=1)${')'.repeat(100000)}`
      assert.throws(() => parseConstraints(text), ConstraintLimitError)
    })

    it('refuses deep nesting that fits the length limit by depth', () => {
      assert.throws(() => parseConstraints('(!'.repeat(30000)), limit('maxDepth'))
      assert.throws(() => parseConstraints('(&'.repeat(30000)), limit('maxDepth'))
      assert.throws(() => parseConstraints('('.repeat(60000)), ConstraintSyntaxError) // '((' is not a filter
    })

    it('refuses a megabyte of text by its length', () => {
      assert.throws(() => parseConstraints(`(a=${'x'.repeat(1 << 20)})`), limit('maxTextLength'))
      assert.throws(() => parseConstraints('('.repeat(1 << 20)), limit('maxTextLength'))
    })

    it('refuses a flood of filters or list items by count', () => {
      assert.throws(() => parseConstraints(`(|${'(a=1)'.repeat(10000)})`), limit('maxNodes'))
      assert.throws(() => parseConstraints(`(a=[${'1,'.repeat(20000)}1])`), limit('maxNodes'))
    })

    it('matches a many-star pattern against a long near-miss without backtracking', () => {
      const tree = parseConstraints('(a=*a*a*a*a*a*a*a*a*a*b)')
      assert.equal(evaluate(tree, { a: 'a'.repeat(16384) }), 'False')
      assert.equal(evaluate(tree, { a: `${'a'.repeat(16384)}b` }), 'True')
      const sixteen = parseConstraints(`(a=${'*a'.repeat(15)}*b)`)
      assert.equal(evaluate(sixteen, { a: 'a'.repeat(16384) }), 'False')
    })

    it('compares decimals with huge exponents exactly and cheaply', () => {
      assert.equal(evaluate(parseConstraints('(a<d"1e999999999")'), { a: '9e999999998' }), 'True')
      assert.equal(evaluate(parseConstraints('(a>1e-999999999)'), { a: 0 }), 'False')
    })
  })
})
