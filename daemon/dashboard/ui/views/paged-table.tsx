// A table with a filter and pages, shared by the views: the filter keeps the
// rows whose text contains it (any case), and the rows are shown a page at a
// time, so a node with thousands of documents still renders at once.
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'

export const PAGE_SIZE = 25

export interface PagedTableProps<T> {
  /** Names the filter's input and the pager (`<name>-filter`, `<name>-pages`). */
  name: string
  caption: string
  rows: T[]
  /** The text the filter looks in. */
  text: (row: T) => string
  head: ComponentChildren
  row: (row: T) => ComponentChildren
  pageSize?: number
}

export function PagedTable<T>({ name, caption, rows, text, head, row, pageSize = PAGE_SIZE }: PagedTableProps<T>) {
  const [filter, setFilter] = useState('')
  const [page, setPage] = useState(0)
  const wanted = filter.trim().toLowerCase()
  const kept = wanted === '' ? rows : rows.filter(item => text(item).toLowerCase().includes(wanted))
  const pages = Math.max(1, Math.ceil(kept.length / pageSize))
  // Rows that went away (or a narrower filter) can leave the page past the end.
  const shown = Math.min(page, pages - 1)
  return (
    <div class="paged" data-table={name}>
      <p class="filter">
        <label for={`${name}-filter`}>Filter {caption.toLowerCase()} </label>
        <input
          id={`${name}-filter`}
          type="search"
          value={filter}
          onInput={event => {
            setFilter(event.currentTarget.value)
            setPage(0)
          }}
        />
      </p>
      {kept.length === 0 ? (
        <p class="empty">Nothing matches “{filter}”.</p>
      ) : (
        <table>
          <caption class="visually-hidden">{caption}</caption>
          <thead>{head}</thead>
          <tbody>{kept.slice(shown * pageSize, (shown + 1) * pageSize).map(row)}</tbody>
        </table>
      )}
      {pages === 1 ? null : (
        <nav class="pages" id={`${name}-pages`} aria-label={`Pages of ${caption.toLowerCase()}`}>
          <button type="button" onClick={() => setPage(shown - 1)} disabled={shown === 0}>
            ← Previous
          </button>
          <span aria-live="polite">
            page {shown + 1} of {pages} ({kept.length} rows)
          </span>
          <button type="button" onClick={() => setPage(shown + 1)} disabled={shown === pages - 1}>
            Next →
          </button>
        </nav>
      )}
    </div>
  )
}
