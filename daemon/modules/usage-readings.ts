// The injection point for a provider that reports usage other than it measured:
// a function over each reading of the exe-unit's usage counters, applied to
// what the provider's payment flow prices (the debit notes' and the invoice's
// counters). Unset in every real daemon; tests set it to run a dishonest
// provider (e.g. one that doubles its CPU seconds) against a real requester.
import type { UsageSourceLike } from '../../payment/index.ts'

export type UsageReadings = (counters: Readonly<Record<string, number>>, activityId: string) => Record<string, number>

type UsageListener = Parameters<UsageSourceLike['on']>[1]

/** `source` with every reading passed through `readings`. */
export function readUsageThrough(source: UsageSourceLike, readings: UsageReadings): UsageSourceLike {
  const wrapped = new Map<UsageListener, UsageListener>()
  return {
    usage: async activityId => readings(await source.usage(activityId), activityId),
    listActivities: filter => source.listActivities(filter),
    on: (event, listener) => {
      const through: UsageListener = reading => {
        listener({ ...reading, counters: readings(reading.counters, reading.activityId) })
      }
      wrapped.set(listener, through)
      return source.on(event, through)
    },
    off: (event, listener) => {
      const through = wrapped.get(listener) ?? listener
      wrapped.delete(listener)
      return source.off(event, through)
    }
  }
}
