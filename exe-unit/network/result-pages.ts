// Batch results travel in pages: a batch's results can hold far more captured
// output than one `/agora/activity/1` answer may carry. The provider fixes a
// snapshot (the first `count` results; results are only ever appended, so the
// snapshot reads the same on every page), serialises it once, and hands it out
// in byte ranges; the requester joins the ranges and parses the whole.
import Type from 'typebox'
import type { Static } from 'typebox'
import type { ExeScriptCommandResult } from '../activity/types.ts'

/** Bytes of serialised results per page: base64 makes them 4/3 as many, within a stream's 4 MiB read buffer (yamux). */
export const RESULT_PAGE_BYTES = 2 * 1024 * 1024

export const ResultPage = Type.Object(
  {
    /** How many results the snapshot holds. */
    count: Type.Integer({ minimum: 0 }),
    /** Size of the snapshot's JSON text, in bytes. */
    totalBytes: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({ minimum: 0 }),
    /** Bytes offset..offset+n of the JSON text, base64. */
    data: Type.String({ maxLength: Math.ceil(RESULT_PAGE_BYTES / 3) * 4 })
  },
  { additionalProperties: false }
)
export type ResultPage = Static<typeof ResultPage>

/** Snapshots served lately, so that each page does not serialise the batch again. */
const KEPT_SNAPSHOTS = 4

export class ResultPager {
  readonly #snapshots = new Map<string, Buffer>()

  /** The page at `offset` of the first `count` of `results` (all of them when count is undefined). */
  page(key: string, results: readonly ExeScriptCommandResult[], offset: number, count = results.length): ResultPage {
    const snapshotCount = Math.min(count, results.length)
    const id = `${key}/${snapshotCount}`
    let text = this.#snapshots.get(id)
    if (text === undefined) {
      text = Buffer.from(JSON.stringify(results.slice(0, snapshotCount)))
      this.#snapshots.set(id, text)
      for (const old of this.#snapshots.keys()) {
        if (this.#snapshots.size <= KEPT_SNAPSHOTS) break
        this.#snapshots.delete(old)
      }
    }
    const start = Math.min(offset, text.byteLength)
    const data = text.subarray(start, Math.min(text.byteLength, start + RESULT_PAGE_BYTES)).toString('base64')
    return { count: snapshotCount, totalBytes: text.byteLength, offset: start, data }
  }
}
