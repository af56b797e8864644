// A batch's RuntimeEvent as yagna sends it over Server-Sent Events. The
// exe-unit carries output as the spec's CommandOutput objects ({ str } or
// { bin } in base64); yagna serialises CommandOutput untagged, so a client
// gets the bare value: the text, or the bytes as an array of numbers. golem-js
// hands that value on as the stream's chunk.
type Output = { str: string } | { bin: string }

interface RuntimeEventLike {
  kind: Record<string, unknown>
}

export function yagnaRuntimeEvent<E extends RuntimeEventLike>(event: E): E {
  const [name, value] = Object.entries(event.kind)[0] ?? []
  if ((name !== 'stdout' && name !== 'stderr') || !isOutput(value)) return event
  return { ...event, kind: { [name]: bareOutput(value) } }
}

function isOutput(value: unknown): value is Output {
  return typeof value === 'object' && value !== null && ('str' in value || 'bin' in value)
}

function bareOutput(output: Output): string | number[] {
  return 'str' in output ? output.str : [...Buffer.from(output.bin, 'base64')]
}
