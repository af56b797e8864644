// RFC 3339 instants as bigint nanoseconds since the Unix epoch, so that
// fractional seconds and offsets compare exactly.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/
const NS_PER_MS = 1_000_000n
// 400 Gregorian years are exactly 146097 days; shifting by them keeps
// Date.UTC away from its "years 0-99 mean 1900-1999" rule.
const FOUR_CENTURIES_MS = 146097 * 86_400_000

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year + 400, month, 0)).getUTCDate()
}

/** `2026-01-01T00:00:00Z`, `2026-01-01T01:30:00.25+01:30`; anything else gives undefined. */
export function parseInstant(text: string): bigint | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 60) return undefined
  let offsetMinutes = 0
  if (m[8] === undefined) {
    const offsetHours = Number(m[10])
    const offsetMins = Number(m[11])
    if (offsetHours > 23 || offsetMins > 59) return undefined
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins)
  }
  const localMs = Date.UTC(year + 400, month - 1, day, hour, minute, second) - FOUR_CENTURIES_MS
  const utcMs = localMs - offsetMinutes * 60_000
  const fractionNs = BigInt((m[7] ?? '').padEnd(9, '0'))
  return BigInt(utcMs) * NS_PER_MS + fractionNs
}

/** An instant given as epoch milliseconds (a property such as golem.srv.comp.expiration). */
export function instantOfEpochMs(ms: number): bigint | undefined {
  if (!Number.isFinite(ms)) return undefined
  const whole = Math.floor(ms)
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6))
}
