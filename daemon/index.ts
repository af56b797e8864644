// The daemon's facade: the composition root, its config, store, app-keys and
// REST API frame, for the CLI, tests and modules' route plugins.
export { AgoraService, AUTO_APP_KEY_NAME } from './service/agora-service.ts'
export type { AgoraServiceOptions } from './service/agora-service.ts'
export type { DaemonModule, ModuleContext } from './service/module.ts'
export { defaultModules } from './service/modules.ts'
export { createLogger } from './service/logger.ts'
export type { Logger } from './service/logger.ts'
export { dataDirPaths } from './service/data-dir.ts'
export type { DataDirPaths } from './service/data-dir.ts'

export { loadConfig } from './config/load.ts'
export type { LoadConfigOptions, LoadedConfig } from './config/load.ts'
export { ConfigError } from './config/errors.ts'
export { DaemonConfigSchema } from './config/schema.ts'
export type { DaemonConfig, DaemonSecrets } from './config/schema.ts'
export type { ConfigFlags } from './config/sources.ts'

export { Store, StoreLockedError, DURABLE } from './store/store.ts'
export type { Sublevel } from './store/store.ts'

export { AppKeys, AppKeyError, APP_KEYS_SUBLEVEL } from './app-keys/app-keys.ts'
export type { AppKeyInfo, NewAppKey, AppKeyVerifier } from './app-keys/app-keys.ts'

export { createApiServer, DEFAULT_BODY_LIMIT } from './api/server.ts'
export type { ApiRoute, ApiServerOptions } from './api/server.ts'
export { ApiError } from './api/errors.ts'
export type { ErrorBody } from './api/errors.ts'
export { ErrorMessage, errorResponses } from './api/schemas.ts'
export { clientGone } from './api/client-gone.ts'
export { OPENAPI_PATH } from './api/openapi.ts'
export type { TypeBoxProvider, TypeBoxPlugin } from './api/type-provider.ts'
