// How fast the constraint language is: parsing a realistic demand and
// evaluating compiled constraints against realistic offer properties.
import { parseConstraints, printConstraints, evaluate } from '../../market/language.ts'
import { parseConstraintText } from '../../market/constraints/parser.ts'
import { compileConstraint } from '../../market/constraints/evaluator.ts'
import type { FlatProperties } from '../../market/properties-types.ts'
import { opsPerSecond, report } from './report.ts'

const DEMAND =
  '(&(golem.inf.mem.gib>=0.5)(golem.inf.storage.gib>=2)(golem.inf.cpu.threads>=1)(golem.runtime.name=vm)' +
  '(golem.com.pricing.model=linear)(golem.com.payment.platform.erc20-holesky-tglm.address=*)' +
  '(|(golem.node.debug.subnet=public)(golem.node.debug.subnet=devnet-beta*))(golem.runtime.version>=v"0.2.0"))'

const OFFER: FlatProperties = {
  'golem.inf.cpu.threads': 4,
  'golem.inf.mem.gib': 8,
  'golem.inf.storage.gib': 40,
  'golem.runtime.name': 'vm',
  'golem.runtime.version': '0.3.0',
  'golem.com.pricing.model': 'linear',
  'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0.0],
  'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
  'golem.com.payment.platform.erc20-holesky-tglm.address': '0x7c5f4e0d7e3c5b5d8e8c3a7b1f2e9d4c6a8b0e11',
  'golem.node.debug.subnet': 'public',
  'golem.srv.comp.expiration': 1_767_225_600_000
}

// Uncached: parseConstraints keeps recent texts, which would measure a Map lookup.
report(
  'constraints.parse.demand',
  opsPerSecond(() => parseConstraintText(DEMAND), 2000),
  'parses/s'
)
const tree = parseConstraints(DEMAND)
report(
  'constraints.print.demand',
  opsPerSecond(() => printConstraints(tree), 1000),
  'prints/s'
)

const compiled = compileConstraint(tree)
if (evaluate(tree, OFFER) !== 'True') throw new Error('the benchmark demand should accept the benchmark offer')
report(
  'constraints.evaluate.compiled',
  opsPerSecond(() => compiled(OFFER), 2000),
  'evaluations/s'
)
report(
  'constraints.evaluate.api',
  opsPerSecond(() => evaluate(tree, OFFER), 2000),
  'evaluations/s'
)
report(
  'constraints.compile.demand',
  opsPerSecond(() => compileConstraint(parseConstraintText(DEMAND)), 1000),
  'parse+compiles/s'
)
