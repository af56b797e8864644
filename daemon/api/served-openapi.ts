// The OpenAPI document exactly as a daemon with the default modules serves it:
// a throw-away node in a temp dir is started, asked, and stopped.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/load.ts'
import { AgoraService } from '../service/agora-service.ts'
import { createLogger } from '../service/logger.ts'
import { defaultModules } from '../service/modules.ts'
import { OPENAPI_PATH } from './openapi.ts'
import type { OpenApiDocument } from './openapi-reference.ts'

export async function servedOpenApiDocument(): Promise<OpenApiDocument> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-openapi-'))
  try {
    const { config } = await loadConfig({
      flags: { dataDir: join(dir, 'node'), apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'] },
      env: { AGORA_KEYSTORE_COST: 'light' }
    })
    const service = new AgoraService({ modules: defaultModules(), logger: createLogger('silent') })
    await service.start(config, { keyPassphrase: '', autoAppKey: null })
    try {
      const response = await fetch(`${service.status().apiUrl}${OPENAPI_PATH}`)
      if (!response.ok) throw new Error(`the daemon answered ${response.status} for its OpenAPI document`)
      return (await response.json()) as OpenApiDocument
    } finally {
      await service.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
