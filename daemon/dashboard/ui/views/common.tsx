// Pieces the views share: a loading/failure frame and ids that link to their detail views.
import type { ComponentChildren } from 'preact'
import type { Loaded } from '../hooks.ts'
import { shortId } from '../format.ts'

export function Frame<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p aria-busy="true">Loading…</p>
  if (loaded.state === 'failed') return <p role="alert">Could not load: {loaded.message}</p>
  return (
    <>
      {loaded.problem === undefined ? null : (
        <p role="status" class="stale">
          Could not refresh: {loaded.problem}
        </p>
      )}
      {children(loaded.value)}
    </>
  )
}

export function IdLink({ href, id }: { href: string; id: string }) {
  return (
    <a href={href} title={id}>
      <code>{shortId(id)}</code>
    </a>
  )
}

/** A debit note's or invoice's id, linking to its detail (#/debit-notes/<id>, #/invoices/<id>). */
export function DocumentLink({ kind, id }: { kind: 'debit note' | 'invoice'; id: string }) {
  return <IdLink href={`#/${kind === 'invoice' ? 'invoices' : 'debit-notes'}/${encodeURIComponent(id)}`} id={id} />
}

export function Empty({ what }: { what: string }) {
  return <p class="empty">No {what} yet.</p>
}
