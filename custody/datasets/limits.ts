// How large a dataset may be: checked before anything of it is written (a
// directory is walked first, a file's size read first), and again while it
// is copied (a file that grows meanwhile is cut off and the import refused).
import Type from 'typebox'
import type { Static } from 'typebox'

export const DatasetLimitsSchema = Type.Object(
  {
    /** The most bytes one dataset's snapshot may hold (default 1 GiB). */
    maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The most files a directory dataset may hold (default 10,000). */
    maxFiles: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The most datasets registered at once (default 100): each is one offer per preset. */
    maxDatasets: Type.Optional(Type.Integer({ minimum: 1 }))
  },
  { additionalProperties: false }
)

export type DatasetLimitsConfig = Static<typeof DatasetLimitsSchema>

export interface DatasetLimits {
  readonly maxBytes: number
  readonly maxFiles: number
  readonly maxDatasets: number
}

export const DEFAULT_DATASET_LIMITS: DatasetLimits = Object.freeze({ maxBytes: 1024 ** 3, maxFiles: 10_000, maxDatasets: 100 })

export function datasetLimitsOf(config: DatasetLimitsConfig | undefined): DatasetLimits {
  return { ...DEFAULT_DATASET_LIMITS, ...config }
}
