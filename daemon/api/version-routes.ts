// GET /version/get (ya-client version-api.yaml).
import { statSync } from 'node:fs'
import Type from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import pkg from '../../package.json' with { type: 'json' }

const VersionInfo = Type.Object({
  version: Type.String(),
  name: Type.String(),
  seen: Type.Boolean(),
  releaseTs: Type.String(),
  insertionTs: Type.Optional(Type.String()),
  updateTs: Type.Optional(Type.String())
})

export const VersionResponse = Type.Object({
  current: VersionInfo,
  pending: Type.Optional(VersionInfo)
})

export const DAEMON_VERSION: string = pkg.version

// There is no release feed: the installed package's time stands in for the release time.
function installedAt(): string {
  try {
    return statSync(new URL('../../package.json', import.meta.url))
      .mtime.toISOString()
      .slice(0, 19)
  } catch {
    return ''
  }
}

export const versionRoutes: FastifyPluginAsync = async app => {
  const current = { version: DAEMON_VERSION, name: `agora ${DAEMON_VERSION}`, seen: true, releaseTs: installedAt() }
  app.get(
    '/version/get',
    {
      schema: {
        operationId: 'getVersion',
        summary: 'The version of this daemon',
        tags: ['version'],
        response: { 200: VersionResponse }
      }
    },
    async () => ({ current })
  )
}
