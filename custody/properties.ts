// The agora.data.* properties: what an offer says of a dataset, and how a
// demand names the dataset it wants (the agreement then names it too).
export const DATA_PROPERTY = {
  name: 'agora.data.name',
  description: 'agora.data.description',
  tags: 'agora.data.tags',
  /** A list of "name:type" strings. */
  columns: 'agora.data.columns',
  rowsAtLeast: 'agora.data.rows.at-least',
  bytes: 'agora.data.bytes',
  policy: 'agora.data.policy',
  pricePerUse: 'agora.data.price.per-use',
  pricePerHour: 'agora.data.price.per-hour',
  /** Demand side: a signed algorithm manifest (canonical JSON text), when the algorithm is allowed by its publisher. */
  manifest: 'agora.data.manifest'
} as const
