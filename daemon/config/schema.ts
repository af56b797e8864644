// The daemon's settings as typebox schemas: the full, resolved config, and the
// partial shape every source (file, environment, flags) may contribute.
import Type from 'typebox'
import type { Static } from 'typebox'
import { KEYSTORE_COSTS, LOG_LEVELS } from './choices.ts'
import type { KeystoreCost, LogLevel } from './choices.ts'

const LogLevelSchema = Type.Enum(LOG_LEVELS)
const KeystoreCostSchema = Type.Enum(KEYSTORE_COSTS)
const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const Host = Type.String({ minLength: 1 })
// A multiaddr's syntax is checked separately (see multiaddrs.ts); here only its shape.
const Multiaddr = Type.String({ pattern: '^/' })
// Each module validates its own section.
const ModuleSections = Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))

export const DaemonConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1 }),
    api: Type.Object({ host: Host, port: Port }, { additionalProperties: false }),
    net: Type.Object(
      {
        listen: Type.Array(Multiaddr),
        bootstrap: Type.Array(Multiaddr),
        /** Addresses others reach this node at, announced beside what it listens on (a public address, a port forwarded to it). */
        announce: Type.Array(Multiaddr),
        /** Relay for nodes behind NATs (circuit relay v2 server, within DEFAULT_RELAY_LIMITS). */
        relay: Type.Boolean(),
        /** Ask the router for a port mapping by UPnP. */
        upnp: Type.Boolean(),
        /** Direct connections by WebRTC to and from nodes behind NATs, signalled through relays. */
        webrtc: Type.Boolean()
      },
      { additionalProperties: false }
    ),
    keystore: Type.Object({ cost: KeystoreCostSchema }, { additionalProperties: false }),
    log: Type.Object({ level: LogLevelSchema }, { additionalProperties: false }),
    modules: ModuleSections
  },
  { additionalProperties: false }
)

export type DaemonConfig = Static<typeof DaemonConfigSchema>
export type { KeystoreCost, LogLevel }

/** What one source may set: any part of the config, nothing unknown. */
export const ConfigLayerSchema = Type.Object(
  {
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    api: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Host),
          port: Type.Optional(Port)
        },
        { additionalProperties: false }
      )
    ),
    net: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(Type.Array(Multiaddr)),
          bootstrap: Type.Optional(Type.Array(Multiaddr)),
          announce: Type.Optional(Type.Array(Multiaddr)),
          relay: Type.Optional(Type.Boolean()),
          upnp: Type.Optional(Type.Boolean()),
          webrtc: Type.Optional(Type.Boolean())
        },
        { additionalProperties: false }
      )
    ),
    keystore: Type.Optional(Type.Object({ cost: Type.Optional(KeystoreCostSchema) }, { additionalProperties: false })),
    log: Type.Optional(Type.Object({ level: Type.Optional(LogLevelSchema) }, { additionalProperties: false })),
    modules: Type.Optional(ModuleSections)
  },
  { additionalProperties: false }
)

export type ConfigLayer = Static<typeof ConfigLayerSchema>

/**
 * Secrets come from the environment only, and live apart from the config so
 * that logging or printing a config can never show them.
 */
export interface DaemonSecrets {
  /** AGORA_KEY_PASSPHRASE: encrypts the node keystore ('' when unset). */
  keyPassphrase: string
  /** AGORA_APPKEY: an app-key the daemon creates at start when absent. */
  autoAppKey: string | null
}
