// The dashboard's login rules, without a browser: a login token works once and
// only within its lifetime; the session cookie stands for the app-key it was
// minted for on the REST API; a write with the cookie needs the session's CSRF
// header; an idle session or one whose app-key was dropped ends.
import assert from 'node:assert/strict'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { AppKeyInfo, AppKeyVerifier } from '../../daemon/app-keys/app-keys.ts'
import { loggedUrl } from '../../daemon/api/server.ts'
import { createApiServer } from '../../daemon/index.ts'
import { CONTENT_SECURITY_POLICY, DashboardSessions, dashboardCookieAuth, dashboardRoutes } from '../../daemon/dashboard/index.ts'
import type { DashboardAssets } from '../../daemon/dashboard/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const NODE_ID = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A'
const KEY = 'k'.repeat(32)
const ALICE: AppKeyInfo = { name: 'alice', id: '00000000000000a1', createdAt: '2026-01-01T00:00:00.000Z' }

const assets: DashboardAssets = new Map([
  ['index.html', { body: Buffer.from('<!doctype html><title>Agora</title>'), type: 'text/html; charset=utf-8' }],
  ['app-0000.js', { body: Buffer.from('void 0'), gzipped: gzipSync('void 0'), type: 'text/javascript; charset=utf-8' }]
])

describe('dashboard sessions', () => {
  let clock: ManualClock
  let known: Set<string>
  let sessions: DashboardSessions
  let app: FastifyInstance

  beforeEach(async () => {
    clock = new ManualClock()
    known = new Set([ALICE.id])
    sessions = new DashboardSessions({ clock, appKeyExists: appKey => known.has(appKey.id) })
    const appKeys: AppKeyVerifier = { verify: key => (key === KEY && known.has(ALICE.id) ? ALICE : null) }
    app = await createApiServer({
      appKeys,
      identity: { nodeId: NODE_ID },
      routes: [
        {
          prefix: '/t',
          plugin: async scope => {
            scope.post('/write', async request => ({ as: request.appKey?.name }))
          }
        }
      ],
      dashboard: { prefix: '/dashboard', routes: dashboardRoutes({ sessions, assets, nodeId: NODE_ID }), cookies: dashboardCookieAuth(sessions) }
    })
  })

  afterEach(async () => {
    await app.close()
  })

  async function login(token: string): Promise<{ status: number; cookie: string | undefined; location: unknown; body: string }> {
    const answer = await app.inject({ method: 'GET', url: `/dashboard/login?token=${encodeURIComponent(token)}` })
    const setCookie = answer.headers['set-cookie']
    return { status: answer.statusCode, cookie: typeof setCookie === 'string' ? setCookie : undefined, location: answer.headers.location, body: answer.body }
  }

  const cookieOf = (setCookie: string): string => setCookie.split(';', 1)[0]!

  it('trades a good token once for an HttpOnly, SameSite=Strict session cookie and redirects to the page', async () => {
    const { token } = sessions.issueLoginToken(ALICE)
    const first = await login(token)
    assert.equal(first.status, 303)
    assert.equal(first.location, '/dashboard/')
    assert.match(first.cookie ?? '', /^agora_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/)
    const again = await login(token)
    assert.equal(again.status, 401)
    assert.equal(again.cookie, undefined)
    assert.match(again.body, /used already, has expired/)
  })

  it('refuses an unknown, an empty and an expired token with 401 and a plain page', async () => {
    assert.equal((await login('not-a-token')).status, 401)
    const empty = await app.inject({ method: 'GET', url: '/dashboard/login' })
    assert.equal(empty.statusCode, 401)
    assert.match(String(empty.headers['content-type']), /^text\/plain/)
    const { token } = sessions.issueLoginToken(ALICE)
    clock.advance(60_000)
    const late = await login(token)
    assert.equal(late.status, 401)
    assert.equal(late.cookie, undefined)
  })

  it('accepts a token just inside its 60 s', async () => {
    const { token } = sessions.issueLoginToken(ALICE)
    clock.advance(59_999)
    assert.equal((await login(token)).status, 303)
  })

  it('lets the cookie stand for the app-key on reads, and on writes only with the CSRF header', async () => {
    const { cookie } = await login(sessions.issueLoginToken(ALICE).token)
    const jar = cookieOf(cookie!)
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: jar } })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().name, 'alice')
    const described = await app.inject({ method: 'GET', url: '/dashboard/session', headers: { cookie: jar } })
    assert.equal(described.statusCode, 200)
    const { csrf, nodeId, appKey } = described.json() as { csrf: string; nodeId: string; appKey: { name: string } }
    assert.equal(nodeId, NODE_ID)
    assert.equal(appKey.name, 'alice')

    const bare = await app.inject({ method: 'POST', url: '/t/write', headers: { cookie: jar }, payload: {} })
    assert.equal(bare.statusCode, 403)
    assert.equal(bare.json().code, 'Forbidden')
    const wrong = await app.inject({ method: 'POST', url: '/t/write', headers: { cookie: jar, 'x-agora-csrf': `${csrf.slice(1)}x` }, payload: {} })
    assert.equal(wrong.statusCode, 403)
    const right = await app.inject({ method: 'POST', url: '/t/write', headers: { cookie: jar, 'x-agora-csrf': csrf }, payload: {} })
    assert.equal(right.statusCode, 200)
    assert.equal(right.json().as, 'alice')
  })

  it('still takes the Bearer app-key, and refuses a request with neither', async () => {
    const bearer = await app.inject({ method: 'POST', url: '/t/write', headers: { authorization: `Bearer ${KEY}` }, payload: {} })
    assert.equal(bearer.statusCode, 200)
    const none = await app.inject({ method: 'GET', url: '/me' })
    assert.equal(none.statusCode, 401)
    const forged = await app.inject({ method: 'GET', url: '/me', headers: { cookie: 'agora_session=forged' } })
    assert.equal(forged.statusCode, 401)
  })

  it('ends a session idle for 12 h, and one whose app-key was dropped', async () => {
    const a = cookieOf((await login(sessions.issueLoginToken(ALICE).token)).cookie!)
    const b = cookieOf((await login(sessions.issueLoginToken(ALICE).token)).cookie!)
    clock.advance(6 * 3600_000)
    assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie: a } })).statusCode, 200)
    clock.advance(12 * 3600_000 - 1)
    // a was used 12 h - 1 ms ago: still alive; b was last used 18 h ago: gone.
    assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie: a } })).statusCode, 200)
    assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie: b } })).statusCode, 401)
    known.delete(ALICE.id)
    assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie: a } })).statusCode, 401)
  })

  it('logs out: the cookie no longer works', async () => {
    const jar = cookieOf((await login(sessions.issueLoginToken(ALICE).token)).cookie!)
    const { csrf } = (await app.inject({ method: 'GET', url: '/dashboard/session', headers: { cookie: jar } })).json() as { csrf: string }
    assert.equal((await app.inject({ method: 'POST', url: '/dashboard/logout', headers: { cookie: jar } })).statusCode, 403)
    assert.equal((await app.inject({ method: 'POST', url: '/dashboard/logout', headers: { cookie: jar, 'x-agora-csrf': csrf } })).statusCode, 204)
    assert.equal((await app.inject({ method: 'GET', url: '/dashboard/session', headers: { cookie: jar } })).statusCode, 401)
  })

  it('serves the page and its files with the strict security headers, and nothing else under /dashboard', async () => {
    const page = await app.inject({ method: 'GET', url: '/dashboard/' })
    assert.equal(page.statusCode, 200)
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.equal(page.headers['referrer-policy'], 'no-referrer')
    assert.equal(page.headers['cache-control'], 'no-store')
    const script = await app.inject({ method: 'GET', url: '/dashboard/assets/app-0000.js' })
    assert.equal(script.statusCode, 200)
    assert.equal(script.body, 'void 0')
    assert.match(String(script.headers['content-type']), /^text\/javascript/)
    assert.match(String(script.headers['cache-control']), /immutable/)
    const zipped = await app.inject({ method: 'GET', url: '/dashboard/assets/app-0000.js', headers: { 'accept-encoding': 'gzip, br' } })
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.equal(gunzipSync(zipped.rawPayload).toString(), 'void 0')
    for (const url of ['/dashboard/assets/..%2Fpackage.json', '/dashboard/assets/nothing.js']) {
      const missing = await app.inject({ method: 'GET', url })
      assert.equal(missing.statusCode, 404, url)
      assert.equal(missing.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
    }
    const refused = await app.inject({ method: 'GET', url: '/dashboard/login?token=x' })
    assert.equal(refused.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
  })

  it('keeps the login token out of the log lines', () => {
    const { token } = sessions.issueLoginToken(ALICE)
    const line = loggedUrl(`/dashboard/login?token=${token}`)
    assert.equal(line, '/dashboard/login?token=***')
  })

  it('holds at most its limit of waiting tokens, dropping the oldest', () => {
    const small = new DashboardSessions({ clock, maxEntries: 2 })
    const first = small.issueLoginToken(ALICE).token
    const second = small.issueLoginToken(ALICE).token
    const third = small.issueLoginToken(ALICE).token
    assert.deepEqual(small.redeem(first), { ok: false, reason: 'unknown' })
    assert.equal(small.redeem(second).ok, true)
    assert.equal(small.redeem(third).ok, true)
  })
})
