// What an offer says of a dataset: its descriptor (never the data, and the
// row count only to one significant digit, rounded down) and the agora.data.*
// properties it becomes.
import type { DatasetDescriptor, DatasetRecord } from '../model.ts'
import { DATA_PROPERTY } from '../properties.ts'

export function descriptorOf(record: DatasetRecord, policySummary: string): DatasetDescriptor {
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    columns: record.columns.map(column => ({ ...column })),
    rowsAtLeast: roundDownToOneDigit(record.rows),
    bytes: record.bytes,
    policySummary,
    price: { ...record.price }
  }
}

/** 0 → 0, 7 → 7, 1234 → 1000, 98,765 → 90,000. */
export function roundDownToOneDigit(count: number): number {
  if (count < 10) return Math.max(0, Math.floor(count))
  const scale = 10 ** Math.floor(Math.log10(count))
  // log10 may land a hair below an exact power of ten; the scale is corrected either way.
  const exact = scale * 10 <= count ? scale * 10 : scale > count ? scale / 10 : scale
  return Math.floor(count / exact) * exact
}

/** The flat agora.data.* properties of an offer (custody/properties.ts). */
export function descriptorProperties(descriptor: DatasetDescriptor): Record<string, unknown> {
  return {
    [DATA_PROPERTY.name]: descriptor.name,
    [DATA_PROPERTY.description]: descriptor.description,
    [DATA_PROPERTY.tags]: [...descriptor.tags],
    [DATA_PROPERTY.columns]: descriptor.columns.map(column => `${column.name}:${column.type}`),
    [DATA_PROPERTY.rowsAtLeast]: descriptor.rowsAtLeast,
    [DATA_PROPERTY.bytes]: descriptor.bytes,
    [DATA_PROPERTY.policy]: descriptor.policySummary,
    [DATA_PROPERTY.pricePerUse]: descriptor.price.perUse,
    [DATA_PROPERTY.pricePerHour]: descriptor.price.perHour
  }
}
