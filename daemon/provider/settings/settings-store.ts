// The provider's settings and presets in the provider module's sublevel: two
// records ('settings', 'presets'), each written whole after every check has
// passed, so a refused change leaves both as they were. A fresh node reads the
// defaults; a node whose presets were all removed reads none (and offers nothing).
import { DURABLE } from '../../store/store.ts'
import type { Sublevel } from '../../store/store.ts'
import type { Logger } from '../../service/logger.ts'
import { ProviderError } from '../errors.ts'
import type { ProviderPreset, ProviderSettings, ProviderSettingsSource } from '../model.ts'
import { defaultPresets, defaultSettings } from './defaults.ts'
import type { Machine } from './machine.ts'
import type { PresetPatch, SettingsPatch } from './schema.ts'
import { checkPreset, checkPresets, checkSettings, parsePresetPatch, parseSettingsPatch } from './validate.ts'

const SETTINGS_KEY = 'settings'
const PRESETS_KEY = 'presets'

export interface SettingsStoreComponents {
  /** The store's own slice (JSON values). */
  readonly db: Sublevel
  /** Read again before each check, so caps follow the free disk. */
  readonly machine: () => Promise<Machine>
  readonly logger: Logger
}

export class SettingsStore implements ProviderSettingsSource {
  readonly #db: Sublevel
  readonly #machine: () => Promise<Machine>
  readonly #logger: Logger
  readonly #listeners = new Set<() => void>()
  #settings: ProviderSettings | null = null
  #presets: readonly ProviderPreset[] = []
  /** Changes run one after another: each checks against the state the last one left. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(components: SettingsStoreComponents) {
    this.#db = components.db
    this.#machine = components.machine
    this.#logger = components.logger
  }

  /** Loads the stored values, or the defaults for this machine. A stored value no longer valid is kept and logged. */
  async open(): Promise<void> {
    const machine = await this.#machine()
    const stored = await this.#db.get(SETTINGS_KEY)
    this.#settings = stored === undefined ? defaultSettings(machine) : (stored as ProviderSettings)
    const presets = await this.#db.get(PRESETS_KEY)
    this.#presets = presets === undefined ? defaultPresets() : (presets as ProviderPreset[])
  }

  settings(): ProviderSettings {
    if (this.#settings === null) throw new Error('the provider settings are not open')
    return this.#settings
  }

  presets(): readonly ProviderPreset[] {
    return this.#presets
  }

  preset(name: string): ProviderPreset {
    const preset = this.#presets.find(p => p.name === name)
    if (preset === undefined) throw new ProviderError('NotFound', `no preset ${name}`)
    return preset
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Applies a patch (and `pricing` to every preset); refused whole when any value is bad. */
  async updateSettings(body: unknown): Promise<ProviderSettings> {
    return await this.#serial(async () => {
      const patch = parseSettingsPatch(body)
      const current = this.settings()
      const next = checkSettings(mergeSettings(current, patch), await this.#machine(), new Set(Object.keys(patch)))
      const pricing = patch.pricing
      const presets =
        pricing === undefined ? this.#presets : this.#presets.map(p => checkPreset({ ...p, pricing: { ...p.pricing, ...pricing } }, `preset ${p.name}`))
      await this.#write(next, presets)
      return next
    })
  }

  async createPreset(body: unknown): Promise<ProviderPreset> {
    return await this.#serial(async () => {
      const preset = checkPreset(body)
      const presets = [...this.#presets, preset]
      checkPresets(presets)
      await this.#write(this.settings(), presets)
      return preset
    })
  }

  async updatePreset(name: string, body: unknown): Promise<ProviderPreset> {
    return await this.#serial(async () => {
      const patch: PresetPatch = parsePresetPatch(body, name)
      const current = this.preset(name)
      const preset = checkPreset(
        { ...current, ...(patch.runtime === undefined ? {} : { runtime: patch.runtime }), pricing: { ...current.pricing, ...patch.pricing } },
        `preset ${name}`
      )
      await this.#write(
        this.settings(),
        this.#presets.map(p => (p.name === name ? preset : p))
      )
      return preset
    })
  }

  async removePreset(name: string): Promise<void> {
    await this.#serial(async () => {
      this.preset(name)
      await this.#write(
        this.settings(),
        this.#presets.filter(p => p.name !== name)
      )
    })
  }

  async #write(settings: ProviderSettings, presets: readonly ProviderPreset[]): Promise<void> {
    await this.#db.batch(
      [
        { type: 'put', key: SETTINGS_KEY, value: settings },
        { type: 'put', key: PRESETS_KEY, value: presets }
      ],
      DURABLE
    )
    this.#settings = settings
    this.#presets = presets
    for (const listener of this.#listeners) {
      try {
        listener()
      } catch (err) {
        this.#logger.warn({ err }, 'provider settings: a change listener failed')
      }
    }
  }

  async #serial<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(change, change)
    this.#queue = run.catch(() => {})
    return await run
  }
}

function mergeSettings(current: ProviderSettings, patch: SettingsPatch): unknown {
  const { pricing: _pricing, debitNoteInterval, acceptTimeout, paymentTimeout, ...plain } = patch
  return {
    ...current,
    ...plain,
    debitNoteInterval: { ...current.debitNoteInterval, ...debitNoteInterval },
    acceptTimeout: { ...current.acceptTimeout, ...acceptTimeout },
    paymentTimeout: { ...current.paymentTimeout, ...paymentTimeout }
  }
}
