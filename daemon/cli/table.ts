// Plain-text output of the commands: aligned columns, and labelled lines for
// one record (nested fields as dotted labels).

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => (row[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return `${[line(header), ...rows.map(line)].join('\n')}\n`
}

/** One record as `label  value` lines; nested objects become dotted labels, lists are comma separated. */
export function labelled(record: Record<string, unknown>): string {
  const rows: Array<[string, string]> = []
  const walk = (value: unknown, label: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, label === '' ? key : `${label}.${key}`)
      return
    }
    rows.push([label, cellOf(value)])
  }
  walk(record, '')
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 2
  return rows.map(([label, value]) => `${label.padEnd(width)}${value}`).join('\n') + (rows.length === 0 ? '' : '\n')
}

/** A value as one table cell. */
export function cellOf(value: unknown): string {
  if (value === undefined || value === null) return '-'
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cellOf).join(', ')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
