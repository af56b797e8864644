// One figure per line, readable by a person and parseable by a script:
//   BENCH <name> <value> <unit>
export function report(name: string, value: number, unit: string): void {
  if (/\s/.test(name) || /\s/.test(unit)) throw new Error(`bench name and unit must not contain spaces: ${name} ${unit}`)
  const shown = Number.isInteger(value) ? String(value) : value.toPrecision(4)
  console.log(`BENCH ${name} ${shown} ${unit}`)
}

/** The p-th percentile of samples by nearest rank (p = 50 is the median). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples')
  const sorted = [...samples].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

/** Runs fn repeatedly for about `ms` milliseconds and returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 1000): number {
  let count = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 100; i++) fn()
    count += 100
    now = performance.now()
  }
  return count / ((now - start) / 1000)
}
