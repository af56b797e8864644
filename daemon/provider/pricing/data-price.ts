// A data offer's price: the preset's, with the dataset's per-hour price added
// to the duration price and its per-use price to the start price — added
// exactly in token base units, then turned into coefficients as any preset's.
import { formatAmount, parseAmount } from '../../../payment/model/amounts.ts'
import type { DatasetPrice } from '../../../custody/index.ts'
import type { PresetPricing } from '../model.ts'

export function withDatasetPrice(pricing: PresetPricing, price: DatasetPrice): PresetPricing {
  const sum = (a: string, b: string, what: string): string => formatAmount(parseAmount(a, what) + parseAmount(b, what))
  return {
    startingFee: sum(pricing.startingFee, price.perUse, 'the start price with the dataset price per use'),
    envPerHour: sum(pricing.envPerHour, price.perHour, 'the duration price with the dataset price per hour'),
    cpuPerHour: pricing.cpuPerHour
  }
}
