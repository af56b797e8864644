// Pieces the views share: a loading/failure frame and an id that links to its detail view.
import type { ComponentChildren } from 'preact'
import type { Loaded } from '../hooks.ts'
import { shortId } from '../format.ts'

export function Frame<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p aria-busy="true">Loading…</p>
  if (loaded.state === 'failed') return <p role="alert">Could not load: {loaded.message}</p>
  return <>{children(loaded.value)}</>
}

export function IdLink({ href, id }: { href: string; id: string }) {
  return (
    <a href={href} title={id}>
      <code>{shortId(id)}</code>
    </a>
  )
}

export function Empty({ what }: { what: string }) {
  return <p class="empty">No {what} yet.</p>
}
