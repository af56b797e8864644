// Wildcard matching without backtracking: the first part must start the text,
// the last must end it, and each middle part is taken at its leftmost place
// after the previous one. Greedy-leftmost is exact for `*`-only patterns and
// looks at each text position a bounded number of times.

/** `parts` are the pieces between the stars of the pattern (at least two). */
export function matchesPattern(text: string, parts: readonly string[]): boolean {
  const first = parts[0] ?? ''
  const last = parts.length > 1 ? (parts[parts.length - 1] ?? '') : ''
  const end = text.length - last.length
  if (end < first.length || !text.startsWith(first) || !text.endsWith(last)) return false
  let pos = first.length
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? ''
    if (part === '') continue
    const at = text.indexOf(part, pos)
    if (at < 0 || at + part.length > end) return false
    pos = at + part.length
  }
  return true
}
