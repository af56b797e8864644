// The daemon's facade for the tests and the test helpers, which drive a node
// in-process; the daemon's own files import each other directly.
export { AgoraService, StartAbortedError } from './service/agora-service.ts'
export type { DaemonModule, ModuleContext } from './service/module.ts'
export { defaultModules } from './service/modules.ts'
export type { ModuleComponents } from './service/modules.ts'
export { createLogger } from './service/logger.ts'
export { dataDirPaths } from './service/data-dir.ts'

export { loadConfig } from './config/load.ts'
export { ConfigError } from './config/errors.ts'
export type { DaemonConfig } from './config/schema.ts'
export type { ConfigFlags } from './config/sources.ts'

export { Store, StoreLockedError, DURABLE } from './store/store.ts'

export { AppKeys, AppKeyError, APP_KEYS_SUBLEVEL } from './app-keys/app-keys.ts'

export { createApiServer, DEFAULT_BODY_LIMIT } from './api/server.ts'
export { ApiError } from './api/errors.ts'
export { clientGone } from './api/client-gone.ts'
export { OPENAPI_PATH } from './api/openapi.ts'
export type { TypeBoxPlugin } from './api/type-provider.ts'
