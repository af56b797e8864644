// The provider's settings and presets: stored, checked, announced.
export { SettingsStore } from './settings-store.ts'
export type { SettingsStoreComponents } from './settings-store.ts'
export { readMachine } from './machine.ts'
export type { Machine } from './machine.ts'
export { defaultPresets, defaultSettings } from './defaults.ts'
export { ProviderPresetSchema, ProviderSettingsSchema, PresetPatchSchema, SettingsPatchSchema } from './schema.ts'
