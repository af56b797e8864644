// A command's output in a RuntimeEvent as yagna sends it. The exe-unit carries
// it as the spec's CommandOutput objects ({ str } or { bin } in base64); yagna
// serialises CommandOutput untagged, so a client gets the bare value: the
// text, or the bytes as an array of numbers. golem-js hands that value on as
// the stream's chunk.
type Output = { str: string } | { bin: string }

/** A stdout/stderr kind with its output bare; any other kind as it is. */
export function yagnaOutputKind<K extends object>(kind: K): K | { stdout: string | number[] } | { stderr: string | number[] } {
  if ('stdout' in kind && isOutput(kind.stdout)) return { stdout: bareOutput(kind.stdout) }
  if ('stderr' in kind && isOutput(kind.stderr)) return { stderr: bareOutput(kind.stderr) }
  return kind
}

function isOutput(value: unknown): value is Output {
  return typeof value === 'object' && value !== null && ('str' in value || 'bin' in value)
}

function bareOutput(output: Output): string | number[] {
  return 'str' in output ? output.str : [...Buffer.from(output.bin, 'base64')]
}
