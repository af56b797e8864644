// `agora provider settings show|set`, `agora provider preset
// list|create|update|remove`, `agora provider status`: ask the running
// daemon, through its admin socket, what /agora-api/v1/provider answers, and
// print it as a table or, with --json, as the API's JSON. Option names follow
// golemsp's (--cores --memory --disk --starting-fee --env-per-hour --cpu-per-hour).
import { printResult, textOption, withDaemon } from './daemon-calls.ts'
import { cellOf, labelled, table } from './table.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

const PROVIDER_API = '/agora-api/v1/provider'
const NO_DAEMON_HINT = "start the daemon (agora service run) to see or change the provider's settings"
const INTEGER = /^[0-9]{1,9}$/
const GIB = /^[0-9]{1,9}(\.[0-9]{1,6})?$/
/** What the daemon takes as a price; it checks it again (and the token's decimals). */
const PRICE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/
const NODE_ID = /^0x[0-9a-fA-F]{40}$/
const RANGE = /^([0-9]{1,9}):([0-9]{1,9}):([0-9]{1,9})$/
/** The defaults of a preset created without prices (golemsp's example prices). */
const DEFAULT_PRICING = Object.freeze({ startingFee: '0', envPerHour: '0.02', cpuPerHour: '0.1' })

type Json = Record<string, unknown>
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

async function call<T>(values: OptionValues, method: Method, path: string, body?: unknown): Promise<T> {
  return await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<T>(method, `${PROVIDER_API}${path}`, body))
}

function number(values: OptionValues, name: string, pattern: RegExp, what: string): number | undefined {
  const value = textOption(values, name, pattern, what)
  return value === undefined ? undefined : Number(value)
}

/** `S` sets the preferred value; `MIN:PREFERRED:MAX` all three. */
function range(values: OptionValues, name: string): Json | undefined {
  const value = values[name]
  if (typeof value !== 'string') return undefined
  if (INTEGER.test(value)) return { preferredSec: Number(value) }
  const match = RANGE.exec(value)
  if (match === null) throw new UsageError(`--${name}: ${JSON.stringify(value.slice(0, 80))} is not seconds (S) or MIN:PREFERRED:MAX`)
  return { minSec: Number(match[1]), preferredSec: Number(match[2]), maxSec: Number(match[3]) }
}

/** A repeatable node-id option: the list it gives, `none` for an empty one. */
function nodeIds(values: OptionValues, name: string): string[] | undefined {
  const value = values[name]
  if (!Array.isArray(value)) return undefined
  if (value.length === 1 && value[0] === 'none') return []
  for (const id of value) if (!NODE_ID.test(id)) throw new UsageError(`--${name}: ${JSON.stringify(id.slice(0, 80))} is not a node id (0x and 40 hex digits)`)
  return value.map(id => id.toLowerCase())
}

function pricingOptions(values: OptionValues): Json {
  const pricing: Json = {}
  const fee = textOption(values, 'starting-fee', PRICE, 'a price in tokens, such as 0.5')
  const env = textOption(values, 'env-per-hour', PRICE, 'a price in tokens, such as 0.02')
  const cpu = textOption(values, 'cpu-per-hour', PRICE, 'a price in tokens, such as 0.1')
  if (fee !== undefined) pricing.startingFee = fee
  if (env !== undefined) pricing.envPerHour = env
  if (cpu !== undefined) pricing.cpuPerHour = cpu
  return pricing
}

function runtimeOption(values: OptionValues): string | undefined {
  return textOption(values, 'runtime', /^(wasmtime|vm)$/, 'a runtime (wasmtime or vm)')
}

function presetName(name: string | undefined): string {
  if (name === undefined || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) {
    throw new UsageError(`preset name ${JSON.stringify((name ?? '').slice(0, 80))}: lowercase letters, digits and '-', at most 32`)
  }
  return name
}

export const providerSettingsShow: CommandRun = async ({ values }) => {
  const [settings, presets] = [await call<Json>(values, 'GET', '/settings'), await call<Json[]>(values, 'GET', '/presets')]
  return printResult(values, { settings, presets }, () => `${labelled(settings)}\n${presetTable(presets)}`)
}

export const providerSettingsSet: CommandRun = async ({ values }) => {
  const patch: Json = {}
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) patch[key] = value
  }
  put('cores', number(values, 'cores', INTEGER, 'a whole number of threads'))
  put('memoryGib', number(values, 'memory', GIB, 'GiB, such as 4 or 1.5'))
  put('diskGib', number(values, 'disk', GIB, 'GiB, such as 20'))
  put('maxAgreements', number(values, 'max-agreements', INTEGER, 'a whole number'))
  put('debitNoteInterval', range(values, 'debit-note-interval'))
  put('acceptTimeout', range(values, 'accept-timeout'))
  put('paymentTimeout', range(values, 'payment-timeout'))
  put('idleAgreementSec', number(values, 'idle-timeout', INTEGER, 'seconds'))
  put('allowRequesters', nodeIds(values, 'allow'))
  put('denyRequesters', nodeIds(values, 'deny'))
  const offering = textOption(values, 'offering', /^(on|off)$/, 'on or off')
  if (offering !== undefined) patch.offering = offering === 'on'
  const pricing = pricingOptions(values)
  const preset = values.preset
  if (typeof preset === 'string') {
    if (Object.keys(patch).length > 0) throw new UsageError('--preset names the preset whose prices change: give the other settings without it')
    if (Object.keys(pricing).length === 0) throw new UsageError('--preset: give the prices to change (--starting-fee, --env-per-hour, --cpu-per-hour)')
    const updated = await call<Json>(values, 'PUT', `/presets/${presetName(preset)}`, { pricing })
    return printResult(values, updated, () => presetTable([updated]))
  }
  if (Object.keys(pricing).length > 0) patch.pricing = pricing
  if (Object.keys(patch).length === 0) throw new UsageError('nothing to set: give at least one setting (see agora provider settings set --help)')
  const settings = await call<Json>(values, 'PATCH', '/settings', patch)
  return printResult(values, settings, () => labelled(settings))
}

export const providerPresetList: CommandRun = async ({ values }) => {
  const presets = await call<Json[]>(values, 'GET', '/presets')
  return printResult(values, presets, () => presetTable(presets))
}

export const providerPresetCreate: CommandRun = async ({ values, positionals }) => {
  const runtime = runtimeOption(values)
  if (runtime === undefined) throw new UsageError('--runtime is required (wasmtime or vm)')
  const body = { name: presetName(positionals[0]), runtime, pricing: { ...DEFAULT_PRICING, ...pricingOptions(values) } }
  const created = await call<Json>(values, 'POST', '/presets', body)
  return printResult(values, created, () => presetTable([created]))
}

export const providerPresetUpdate: CommandRun = async ({ values, positionals }) => {
  const body: Json = {}
  const runtime = runtimeOption(values)
  if (runtime !== undefined) body.runtime = runtime
  const pricing = pricingOptions(values)
  if (Object.keys(pricing).length > 0) body.pricing = pricing
  if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give --runtime or prices')
  const updated = await call<Json>(values, 'PUT', `/presets/${presetName(positionals[0])}`, body)
  return printResult(values, updated, () => presetTable([updated]))
}

export const providerPresetRemove: CommandRun = async ({ values, positionals }) => {
  const name = presetName(positionals[0])
  await call(values, 'DELETE', `/presets/${name}`)
  return printResult(values, { removed: name }, () => `removed preset ${name}\n`)
}

export const providerStatus: CommandRun = async ({ values }) => {
  const status = await call<Json>(values, 'GET', '/status')
  return printResult(values, status, () => {
    const offers = Array.isArray(status.offers) ? (status.offers as Json[]) : []
    const unpublished = Array.isArray(status.unpublished) ? (status.unpublished as Json[]) : []
    const { offers: _offers, unpublished: _unpublished, ...summary } = status
    const lines = [labelled(summary)]
    lines.push(
      offers.length === 0
        ? 'no offers live\n'
        : table(
            ['OFFER', 'PRESET', 'DATASET', 'RUNTIME', 'EXPIRES', 'START', 'ENV/H', 'CPU/H'],
            offers.map(offer => {
              const pricing = (offer.pricing ?? {}) as Json
              return [
                offer.offerId,
                offer.preset,
                offer.dataset,
                offer.runtime,
                offer.expiresAt,
                pricing.startingFee,
                pricing.envPerHour,
                pricing.cpuPerHour
              ].map(cellOf)
            })
          )
    )
    if (unpublished.length > 0)
      lines.push(
        table(
          ['NOT PUBLISHED', 'WHY'],
          unpublished.map(each => [cellOf(each.preset), cellOf(each.reason)])
        )
      )
    return lines.join('\n')
  })
}

function presetTable(presets: readonly Json[]): string {
  if (presets.length === 0) return 'no presets (nothing is offered)\n'
  return table(
    ['PRESET', 'RUNTIME', 'STARTING-FEE', 'ENV-PER-HOUR', 'CPU-PER-HOUR'],
    presets.map(preset => {
      const pricing = (preset.pricing ?? {}) as Json
      return [preset.name, preset.runtime, pricing.startingFee, pricing.envPerHour, pricing.cpuPerHour].map(cellOf)
    })
  )
}
