// Bounds that keep hostile constraint texts cheap to refuse. Every one is
// checked while parsing, so time and memory stay proportional to the text.
export const CONSTRAINT_LIMITS = Object.freeze({
  /** Longest text accepted, in UTF-16 code units; checked before anything else. */
  maxTextLength: 65536,
  /** Deepest nesting of parentheses. */
  maxDepth: 64,
  /** Most filters plus list items in one constraint. */
  maxNodes: 4096,
  /** Most `*` in one wildcard pattern. */
  maxWildcards: 16
})
