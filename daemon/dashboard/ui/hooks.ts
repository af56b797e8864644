// Loading what a view shows, and following an event stream while it is open.
import { useEffect, useState } from 'preact/hooks'
import { follow } from './api.ts'
import type { TimedEvent } from './api.ts'

/** `problem`: the last reload failed; the value shown is the one before it. */
export type Loaded<T> = { state: 'loading' } | { state: 'ready'; value: T; problem?: string } | { state: 'failed'; message: string }

/**
 * Runs `load` when the view opens and again whenever `version` changes (an
 * event said the data changed); the last good value stays shown meanwhile,
 * and also when a reload fails (with the failure beside it), so a filter
 * typed or a page chosen in what it shows is not lost to one failed read.
 */
export function useLoaded<T>(load: (signal: AbortSignal) => Promise<T>, version: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' })
  useEffect(() => {
    const abort = new AbortController()
    load(abort.signal).then(
      value => {
        if (!abort.signal.aborted) setLoaded({ state: 'ready', value })
      },
      (err: unknown) => {
        if (abort.signal.aborted) return
        const message = err instanceof Error ? err.message : String(err)
        setLoaded(previous => (previous.state === 'ready' ? { state: 'ready', value: previous.value, problem: message } : { state: 'failed', message }))
      }
    )
    return () => abort.abort()
  }, version)
  return loaded
}

/** A counter that goes up each time one of the long polls `paths` brings events: a view reloads on it. */
export function useEventCount(paths: string[]): number {
  const [count, setCount] = useState(0)
  useEffect(() => {
    const abort = new AbortController()
    for (const path of paths) {
      follow<TimedEvent>(path, () => setCount(n => n + 1), abort.signal).catch(() => undefined)
    }
    return () => abort.abort()
  }, [paths.join(' ')])
  return count
}
