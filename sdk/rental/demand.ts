// A rental's demand as Golem's market reads it: expiration from the duration,
// the task package, the subnet and the payment platform with the allocation's
// decoration as properties; the runtime, the least resources, the linear price
// model and the decoration's terms as constraints. Also the rental's budget:
// the one given, or what the max prices allow over the duration.
import { parseAmount } from '../../payment/model/amounts.ts'
import { rationalOfNumber } from '../../payment/pricing/index.ts'
import { SdkError } from '../errors.ts'
import type { RentOptions } from '../types.ts'
import type { AllocationHandle } from '../payments/payment-guard.ts'
import { checkImage, resolveImage } from './image.ts'
import { add, baseUnitsOf, priceLimitsOf, times } from './offer-summary.ts'

export const DEFAULT_DURATION_S = 3_600
const NAME = /^[A-Za-z0-9._-]{1,64}$/
const PLATFORM = /^[a-z0-9-]{1,64}$/
/** A dataset's name as owners register it (it goes into a constraint term: nothing that could end it). */
export const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
/** A manifest is a small JSON document (a name, a version, a hash, a signature). */
const MAX_MANIFEST_CHARS = 16_384
const DATA_NAME = 'agora.data.name'
const DATA_MANIFEST = 'agora.data.manifest'
/** The longest rental a demand may ask for (Golem providers refuse beyond their own bound anyway). */
const MAX_DURATION_S = 30 * 24 * 3_600

export interface DemandBody {
  readonly properties: Record<string, unknown>
  readonly constraints: string
}

/** The options checked whole before anything is sent: a bad one is refused naming it. */
export function checkRentOptions(options: RentOptions): void {
  if (options === null || typeof options !== 'object') throw new SdkError('BadRequest', 'rent needs options: { runtime, image, budget or maxPrices }')
  if (options.runtime !== 'wasmtime' && options.runtime !== 'vm')
    throw new SdkError('BadRequest', `runtime must be "wasmtime" or "vm", not ${JSON.stringify(options.runtime)}`)
  checkImage(options.runtime, options.image)
  durationOf(options)
  for (const [name, value] of Object.entries(options.resources ?? {})) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new SdkError('BadRequest', `resources.${name} must be a number ≥ 0`)
  }
  if (options.startupTimeoutMs !== undefined && (!Number.isFinite(options.startupTimeoutMs) || options.startupTimeoutMs <= 0)) {
    throw new SdkError('BadRequest', 'startupTimeoutMs must be a number of milliseconds > 0')
  }
  // Both go into the demand's constraints and property names: nothing that could end a term or start another.
  if (options.subnet !== undefined && (typeof options.subnet !== 'string' || !NAME.test(options.subnet))) {
    throw new SdkError(
      'BadRequest',
      `subnet must be 1 to 64 letters, digits, dots, dashes or underscores, not ${JSON.stringify(options.subnet)?.slice(0, 100)}`
    )
  }
  if (options.paymentPlatform !== undefined && (typeof options.paymentPlatform !== 'string' || !PLATFORM.test(options.paymentPlatform))) {
    throw new SdkError(
      'BadRequest',
      `paymentPlatform must be erc20-<network>-<token> (lowercase), not ${JSON.stringify(options.paymentPlatform)?.slice(0, 100)}`
    )
  }
  if (options.dataset !== undefined && (typeof options.dataset !== 'string' || !DATASET_NAME.test(options.dataset))) {
    throw new SdkError(
      'BadRequest',
      `dataset must be 1 to 64 lowercase letters, digits, dots, dashes or underscores (starting with a letter or digit), not ${JSON.stringify(options.dataset)?.slice(0, 100)}`
    )
  }
  if (options.manifest !== undefined) checkManifest(options.manifest)
  if (options.filter !== undefined && typeof options.filter !== 'function') throw new SdkError('BadRequest', 'filter must be a function of an offer')
  if (options.avoid !== undefined && !Array.isArray(options.avoid)) throw new SdkError('BadRequest', 'avoid must be a list of node ids')
  budgetOf(options)
}

export function durationOf(options: RentOptions): number {
  const duration = options.duration ?? DEFAULT_DURATION_S
  if (!Number.isFinite(duration) || duration <= 0 || duration > MAX_DURATION_S) {
    throw new SdkError('BadRequest', `duration must be a number of seconds > 0 and ≤ ${MAX_DURATION_S}, not ${duration}`)
  }
  return duration
}

/**
 * The most the rental may cost (base units): the budget, or without one the
 * start price + (cpuPerHour × minCpuThreads (1 if not given) + envPerHour) × the
 * duration in hours. A provider whose usage would go beyond it is refused by the guard.
 */
export function budgetOf(options: RentOptions): bigint {
  if (options.budget !== undefined) {
    const budget = typeof options.budget === 'bigint' ? options.budget : parseBudget(options.budget)
    if (budget <= 0n) throw new SdkError('BadRequest', 'budget must be more than 0')
    return budget
  }
  const limits = priceLimitsOf(options.maxPrices)
  if (limits.startPrice === undefined || limits.cpuPerHour === undefined || limits.envPerHour === undefined) {
    throw new SdkError(
      'BadRequest',
      'give a budget, or maxPrices with startPrice, cpuPerHour and envPerHour (the budget is then what they cost over the duration)'
    )
  }
  const threads = rationalOfNumber(options.resources?.minCpuThreads ?? 1) ?? { num: 1n, den: 1n }
  const hours = { num: BigInt(Math.ceil(durationOf(options))), den: 3_600n }
  const perHour = add(times(limits.cpuPerHour, threads), limits.envPerHour)
  const budget = baseUnitsOf(add(limits.startPrice, times(perHour, hours)))
  if (budget <= 0n) throw new SdkError('BadRequest', 'maxPrices allow nothing to be spent: give a budget')
  return budget
}

function checkManifest(manifest: unknown): void {
  if (typeof manifest !== 'string' || manifest.length > MAX_MANIFEST_CHARS)
    throw new SdkError('BadRequest', `manifest must be the signed manifest's JSON text, at most ${MAX_MANIFEST_CHARS} characters`)
  let parsed: unknown
  try {
    parsed = JSON.parse(manifest)
  } catch {
    throw new SdkError('BadRequest', 'manifest is not JSON: give the signed manifest as `agora data manifest sign` writes it')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SdkError('BadRequest', 'manifest must be a JSON object')
}

function parseBudget(text: unknown): bigint {
  try {
    return parseAmount(text, 'budget')
  } catch {
    throw new SdkError(
      'BadRequest',
      `budget must be a decimal string of token units such as "0.5" or a bigint of base units, not ${JSON.stringify(text)?.slice(0, 100)}`
    )
  }
}

export function demandOf(options: RentOptions, allocation: AllocationHandle, now: number): DemandBody {
  const duration = durationOf(options)
  const properties: Record<string, unknown> = {
    'golem.srv.comp.expiration': now + Math.ceil(duration * 1000),
    'golem.srv.comp.task_package': resolveImage(options.runtime, options.image),
    'golem.com.payment.chosen-platform': allocation.platform,
    ...allocation.decoration.properties
  }
  if (options.subnet !== undefined) properties['golem.node.debug.subnet'] = options.subnet
  if (options.dataset !== undefined) properties[DATA_NAME] = options.dataset
  if (options.manifest !== undefined) properties[DATA_MANIFEST] = options.manifest
  const terms = [`(golem.runtime.name=${options.runtime})`, '(golem.com.pricing.model=linear)']
  const resources = options.resources ?? {}
  if (resources.minCpuThreads !== undefined) terms.push(`(golem.inf.cpu.threads>=${resources.minCpuThreads})`)
  if (resources.minMemGib !== undefined) terms.push(`(golem.inf.mem.gib>=${resources.minMemGib})`)
  if (resources.minStorageGib !== undefined) terms.push(`(golem.inf.storage.gib>=${resources.minStorageGib})`)
  if (options.subnet !== undefined) terms.push(`(golem.node.debug.subnet=${options.subnet})`)
  if (options.dataset !== undefined) terms.push(`(${DATA_NAME}=${options.dataset})`)
  terms.push(...allocation.decoration.constraints)
  return { properties, constraints: `(&${terms.join('')})` }
}
