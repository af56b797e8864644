// The checks a whole settings value or preset must pass before anything is
// written: its shape, then what depends on the machine and on other values.
// The first failure is thrown as BadRequest naming the setting.
import { SchemaError } from '../../../net/kernel.ts'
import { validator } from '../../../net/schema/index.ts'
import type { Static, TSchema } from 'typebox'
import { parseAmount } from '../../../payment/model/amounts.ts'
import { ProviderError } from '../errors.ts'
import type { NegotiatedRange, ProviderPreset, ProviderSettings } from '../model.ts'
import type { Machine } from './machine.ts'
import { floorGib } from './machine.ts'
import type { PresetPatch, SettingsPatch } from './schema.ts'
import { MAX_PRESETS, PresetPatchSchema, ProviderPresetSchema, ProviderSettingsSchema, SettingsPatchSchema } from './schema.ts'

const settingsShape = validator(ProviderSettingsSchema, 'settings')
const presetShape = validator(ProviderPresetSchema, 'preset')
const settingsPatchShape = validator(SettingsPatchSchema, 'settings')
const presetPatchShape = validator(PresetPatchSchema, 'preset')

const bad = (message: string): never => {
  throw new ProviderError('BadRequest', message)
}

/** A value of the schema, or BadRequest with the schema's message (which names the field). */
function shaped<S extends TSchema>(check: { parse: (value: unknown, what?: string) => Static<S> }, value: unknown, what: string): Static<S> {
  try {
    return check.parse(value, what)
  } catch (err) {
    if (err instanceof SchemaError) throw new ProviderError('BadRequest', err.message)
    throw err
  }
}

export function parseSettingsPatch(value: unknown): SettingsPatch {
  return shaped<typeof SettingsPatchSchema>(settingsPatchShape, value ?? {}, 'settings')
}

export function parsePresetPatch(value: unknown, name: string): PresetPatch {
  return shaped<typeof PresetPatchSchema>(presetPatchShape, value ?? {}, `preset ${name}`)
}

/**
 * `changed`: the fields the caller sets. Only those are held to the machine as
 * it is now — the free disk shrinks as the node works, and a change of prices
 * must not be refused for a cap set when there was more.
 */
export function checkSettings(value: unknown, machine: Machine, changed: ReadonlySet<string>): ProviderSettings {
  const settings = shaped<typeof ProviderSettingsSchema>(settingsShape, value, 'settings') as ProviderSettings
  if (changed.has('cores') && settings.cores > machine.threads) bad(`cores must be at most ${machine.threads}, the machine's threads`)
  const memory = floorGib(machine.memoryGib)
  if (changed.has('memoryGib') && settings.memoryGib > memory) bad(`memory must be at most ${memory} GiB, the machine's memory`)
  const disk = floorGib(machine.diskGib)
  if (changed.has('diskGib') && settings.diskGib > disk) bad(`disk must be at most ${disk} GiB, the free disk of the data dir`)
  checkRange(settings.debitNoteInterval, 'debitNoteInterval')
  checkRange(settings.acceptTimeout, 'acceptTimeout')
  checkRange(settings.paymentTimeout, 'paymentTimeout')
  if (settings.minAgreementSec > settings.maxAgreementSec) {
    bad(`minAgreementSec (${settings.minAgreementSec}) must not be more than maxAgreementSec (${settings.maxAgreementSec})`)
  }
  const denied = new Set(settings.denyRequesters.map(id => id.toLowerCase()))
  const both = settings.allowRequesters.find(id => denied.has(id.toLowerCase()))
  if (both !== undefined) bad(`requester ${both} is both allowed and denied`)
  return {
    ...settings,
    allowRequesters: unique(settings.allowRequesters),
    denyRequesters: unique(settings.denyRequesters)
  } as ProviderSettings
}

function checkRange(range: NegotiatedRange, what: string): void {
  if (range.minSec > range.maxSec) bad(`${what}: minSec (${range.minSec}) must not be more than maxSec (${range.maxSec})`)
  if (range.preferredSec < range.minSec || range.preferredSec > range.maxSec) {
    bad(`${what}: preferredSec (${range.preferredSec}) must be within minSec..maxSec (${range.minSec}..${range.maxSec})`)
  }
}

/** Node ids in lowercase, each once. */
function unique(ids: readonly string[]): string[] {
  return [...new Set(ids.map(id => id.toLowerCase()))]
}

export function checkPreset(value: unknown, what = 'preset'): ProviderPreset {
  const preset = shaped<typeof ProviderPresetSchema>(presetShape, value, what) as ProviderPreset
  for (const field of ['startingFee', 'envPerHour', 'cpuPerHour'] as const) {
    try {
      parseAmount(preset.pricing[field], `preset ${preset.name}: ${field}`)
    } catch (err) {
      bad((err as Error).message)
    }
  }
  return preset
}

export function checkPresets(presets: readonly ProviderPreset[]): void {
  if (presets.length > MAX_PRESETS) bad(`at most ${MAX_PRESETS} presets`)
  const names = new Set<string>()
  for (const preset of presets) {
    if (names.has(preset.name)) throw new ProviderError('Conflict', `a preset named ${preset.name} exists`)
    names.add(preset.name)
  }
}
