// The terms of a proposal (properties + constraints) as a client or a peer
// sends them: checked and normalised once, then compared both ways.
import { MarketError, badInput } from '../errors.ts'
import { normaliseProperties, parseConstraints, satisfies } from '../language.ts'
import type { Constraint } from '../language.ts'
import type { FlatProperties } from '../properties-types.ts'

/** Terms as they are kept: the constraint text only. */
export interface Terms {
  properties: FlatProperties
  constraints: string
}

/** Terms just checked: the parsed tree rides along, so nobody parses the text again. */
export interface ProposalBody extends Terms {
  tree: Constraint
}

/** Validates `{ properties, constraints }`; a MarketError BadRequest names what is wrong. */
export function parseProposalBody(body: unknown): ProposalBody {
  if (typeof body !== 'object' || body === null) throw new MarketError('BadRequest', 'body must be an object with properties and constraints')
  const { properties, constraints } = body as Record<string, unknown>
  if (typeof constraints !== 'string') throw new MarketError('BadRequest', 'constraints must be a string')
  let flat: FlatProperties
  try {
    flat = normaliseProperties(properties)
  } catch (err) {
    throw badInput('properties', err)
  }
  let tree: Constraint
  try {
    tree = parseConstraints(constraints)
  } catch (err) {
    throw badInput('constraints', err)
  }
  return { properties: flat, constraints, tree }
}

/** Refuses a pair of terms unless each side's constraints hold on the other's properties. */
export function termsMatch(mine: ProposalBody, theirs: Terms, mineName: string, theirsName: string): void {
  if (!satisfies(theirs.constraints, mine.properties)) {
    throw new MarketError('BadRequest', `${mineName} does not satisfy the constraints of ${theirsName}`)
  }
  if (!satisfies(mine.tree, theirs.properties)) {
    throw new MarketError('BadRequest', `${theirsName} does not satisfy the constraints of ${mineName}`)
  }
}
