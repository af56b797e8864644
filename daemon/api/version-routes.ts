// GET /version/get (ya-client version-api.yaml), served without an app-key as
// the spec declares no security. Golem clients read `current.version` as a
// yagna version (golem-js 3.x refuses anything below 0.15.2), so it names the
// yagna release whose API this daemon serves; Agora's own version is in
// `name` and `agora`.
import { statSync } from 'node:fs'
import Type from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import pkg from '../../package.json' with { type: 'json' }

/**
 * The yagna release whose REST API this daemon follows: the ya-client specs it
 * is built to (ya-client b4bf2aab, in ../shared/reference/ya-client-specs) are
 * those of yagna v0.17.0, the first release on them (v0.17.0 to v0.17.6 share them).
 */
export const YAGNA_API_VERSION = '0.17.0'

const VersionInfo = Type.Object({
  version: Type.String({ description: 'the yagna version whose API this daemon serves', example: YAGNA_API_VERSION }),
  name: Type.String({ example: `agora ${pkg.version} (yagna API ${YAGNA_API_VERSION})` }),
  seen: Type.Boolean(),
  releaseTs: Type.String(),
  insertionTs: Type.Optional(Type.String()),
  updateTs: Type.Optional(Type.String()),
  agora: Type.String({ description: "Agora's own version (an extra beside version-api.yaml's fields)", example: pkg.version })
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
  const current = {
    version: YAGNA_API_VERSION,
    name: `agora ${DAEMON_VERSION} (yagna API ${YAGNA_API_VERSION})`,
    seen: true,
    releaseTs: installedAt(),
    agora: DAEMON_VERSION
  }
  app.get(
    '/version/get',
    {
      config: { public: true },
      schema: {
        operationId: 'getVersion',
        summary: 'The yagna API version this daemon serves, and its own version',
        tags: ['version'],
        security: [],
        response: { 200: VersionResponse }
      }
    },
    async () => ({ current })
  )
}
