// The provider agent under /agora-api/v1/provider, which `agora provider …`
// calls: settings (GET, PATCH), presets (list, create, update, remove), and
// the status (offers live, presets not published and why, agreements,
// activities, earnings).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { Static } from 'typebox'
import { PresetPatchSchema, ProviderPresetSchema, ProviderSettingsSchema, SettingsPatchSchema } from '../provider/settings/index.ts'
import type { ProviderPreset, ProviderSettings } from '../provider/model.ts'
import type { ProviderStatusView } from '../provider/status/index.ts'
import { errorResponses, noContent } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

export const PROVIDER_API_PREFIX = '/agora-api/v1/provider'

/** What the routes ask of the provider agent. */
export interface ProviderDesk {
  settings(): ProviderSettings
  updateSettings(body: unknown): Promise<ProviderSettings>
  presets(): readonly ProviderPreset[]
  createPreset(body: unknown): Promise<ProviderPreset>
  updatePreset(name: string, body: unknown): Promise<ProviderPreset>
  removePreset(name: string): Promise<void>
  status(): ProviderStatusView
}

const PresetName = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }) })
const Pricing = Type.Object({ startingFee: Type.String(), envPerHour: Type.String(), cpuPerHour: Type.String() })

export const ProviderStatusSchema = Type.Object({
  offering: Type.Boolean({ description: 'Whether this node publishes offers (modules.provider.offer and the offering setting).' }),
  reason: Type.Optional(Type.String({ description: 'Why nothing is offered, when so.' })),
  offers: Type.Array(
    Type.Object({
      offerId: Type.String(),
      preset: Type.String(),
      dataset: Type.Optional(Type.String({ description: 'The dataset a data offer offers (agora.data.name).' })),
      runtime: Type.String(),
      expiresAt: Type.String({ format: 'date-time' }),
      coeffs: Type.Array(Type.Number(), { description: 'golem.com.pricing.model.linear.coeffs as published: [cpu/s, env/s, start].' }),
      pricing: Pricing
    })
  ),
  unpublished: Type.Array(Type.Object({ preset: Type.String(), reason: Type.String() })),
  agreements: Type.Record(Type.String(), Type.Integer(), { description: "The provider's agreements by state." }),
  activitiesRunning: Type.Integer(),
  earnings: Type.Object(
    { requested: Type.String(), accepted: Type.String(), paid: Type.String(), pending: Type.String() },
    { description: 'In tokens: requested by debit notes and invoices, accepted by requesters, paid, and accepted but not yet paid.' }
  )
})

export function providerRoutes(desk: ProviderDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    const tags = ['agora-provider']
    app.get('/settings', { schema: { operationId: 'agoraProviderSettings', tags, response: { 200: ProviderSettingsSchema } } }, async () =>
      settingsWire(desk.settings())
    )
    app.patch(
      '/settings',
      { schema: { operationId: 'agoraProviderUpdateSettings', tags, body: SettingsPatchSchema, response: { 200: ProviderSettingsSchema } } },
      async request => settingsWire(await desk.updateSettings(request.body))
    )
    app.get('/presets', { schema: { operationId: 'agoraProviderPresets', tags, response: { 200: Type.Array(ProviderPresetSchema) } } }, async () => [
      ...desk.presets()
    ])
    app.post(
      '/presets',
      {
        schema: { operationId: 'agoraProviderCreatePreset', tags, body: ProviderPresetSchema, response: { 201: ProviderPresetSchema, ...errorResponses(409) } }
      },
      async (request, reply) => reply.code(201).send(await desk.createPreset(request.body))
    )
    app.put(
      '/presets/:name',
      {
        schema: {
          operationId: 'agoraProviderUpdatePreset',
          tags,
          params: PresetName,
          body: PresetPatchSchema,
          response: { 200: ProviderPresetSchema, ...errorResponses(404) }
        }
      },
      async request => await desk.updatePreset(request.params.name, request.body)
    )
    app.delete(
      '/presets/:name',
      {
        schema: {
          operationId: 'agoraProviderRemovePreset',
          tags,
          params: PresetName,
          response: { 204: noContent('The preset is removed (its offer is withdrawn).'), ...errorResponses(404) }
        }
      },
      async (request, reply) => {
        await desk.removePreset(request.params.name)
        return reply.code(204).send()
      }
    )
    app.get('/status', { schema: { operationId: 'agoraProviderStatus', tags, response: { 200: ProviderStatusSchema } } }, async () => desk.status())
  }
}

/** The settings as the schema types them (the lists copied, not shared). */
function settingsWire(settings: ProviderSettings): Static<typeof ProviderSettingsSchema> {
  return { ...settings, allowRequesters: [...settings.allowRequesters], denyRequesters: [...settings.denyRequesters] }
}
