// The shapes of settings and presets as stored and as the API takes them.
// Types and bounds are checked here; what depends on the machine or on other
// values (cores ≤ threads, min ≤ preferred ≤ max) in validate.ts.
import Type from 'typebox'
import type { Static } from 'typebox'

const DAY_SEC = 86_400
const Seconds = Type.Integer({ minimum: 1, maximum: 30 * DAY_SEC })
const NodeIdText = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })
const Price = Type.String({ minLength: 1, maxLength: 100 })
export const PRESET_NAME = '^[a-z0-9][a-z0-9-]{0,31}$'
export const MAX_PRESETS = 32
export const MAX_REQUESTER_LIST = 1000

export const NegotiatedRangeSchema = Type.Object(
  { minSec: Seconds, maxSec: Seconds, preferredSec: Seconds },
  { additionalProperties: false, description: 'The requester value is taken within [minSec, maxSec]; otherwise preferredSec is countered.' }
)

export const PresetPricingSchema = Type.Object(
  {
    startingFee: Type.String({ ...Price, description: 'Charged once per activity, in tokens (golemsp --starting-fee).' }),
    envPerHour: Type.String({ ...Price, description: 'Per hour the activity runs, in tokens (golemsp --env-per-hour).' }),
    cpuPerHour: Type.String({ ...Price, description: 'Per hour of CPU time, in tokens (golemsp --cpu-per-hour).' })
  },
  { additionalProperties: false }
)

export const ProviderRuntimeSchema = Type.Union([Type.Literal('wasmtime'), Type.Literal('vm')])

export const ProviderPresetSchema = Type.Object(
  { name: Type.String({ pattern: PRESET_NAME }), runtime: ProviderRuntimeSchema, pricing: PresetPricingSchema },
  { additionalProperties: false }
)

const settingsFields = {
  offering: Type.Boolean(),
  cores: Type.Integer({ minimum: 1, maximum: 65_536 }),
  memoryGib: Type.Number({ exclusiveMinimum: 0, maximum: 1_048_576 }),
  diskGib: Type.Number({ exclusiveMinimum: 0, maximum: 1_073_741_824 }),
  maxAgreements: Type.Integer({ minimum: 1, maximum: 10_000 }),
  debitNoteInterval: NegotiatedRangeSchema,
  acceptTimeout: NegotiatedRangeSchema,
  paymentTimeout: NegotiatedRangeSchema,
  minAgreementSec: Seconds,
  maxAgreementSec: Type.Integer({ minimum: 1, maximum: 365 * DAY_SEC }),
  idleAgreementSec: Seconds,
  allowRequesters: Type.Array(NodeIdText, { maxItems: MAX_REQUESTER_LIST }),
  denyRequesters: Type.Array(NodeIdText, { maxItems: MAX_REQUESTER_LIST })
}

export const ProviderSettingsSchema = Type.Object(settingsFields, { additionalProperties: false })

const PartialRange = Type.Partial(NegotiatedRangeSchema)

/** PATCH /settings: the fields to change; `pricing` changes those prices of every preset. */
export const SettingsPatchSchema = Type.Object(
  {
    ...Type.Partial(Type.Object(settingsFields)).properties,
    debitNoteInterval: Type.Optional(PartialRange),
    acceptTimeout: Type.Optional(PartialRange),
    paymentTimeout: Type.Optional(PartialRange),
    pricing: Type.Optional(Type.Partial(PresetPricingSchema, { additionalProperties: false }))
  },
  { additionalProperties: false }
)

/** PUT /presets/:name: the fields to change. */
export const PresetPatchSchema = Type.Object(
  { runtime: Type.Optional(ProviderRuntimeSchema), pricing: Type.Optional(Type.Partial(PresetPricingSchema, { additionalProperties: false })) },
  { additionalProperties: false }
)

export type SettingsPatch = Static<typeof SettingsPatchSchema>
export type PresetPatch = Static<typeof PresetPatchSchema>
