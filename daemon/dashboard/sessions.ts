// Dashboard logins: `agora dashboard` asks for a login token (short-lived,
// single use) that rides in a URL; the page trades it for a session held in an
// HttpOnly cookie, so that no app-key ever appears in a URL, a history or a
// page's script. Each session acts as the app-key it was minted for and has
// its own CSRF value, which writes must echo in a header. Everything is kept
// in memory: a daemon restart logs every dashboard out.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AppKeyInfo } from '../app-keys/app-keys.ts'

/** What reads the time: the sessions take it as a component, so tests move time on. */
export interface DashboardClock {
  now: () => number
}

export interface DashboardSessionsOptions {
  clock?: DashboardClock
  /** How long a login token may wait to be used (default 60 s). */
  loginTokenTtlMs?: number
  /** How long a session lives without a request (default 12 h). */
  sessionIdleMs?: number
  /** Most sessions and waiting tokens held at once; the oldest go first (default 64 each). */
  maxEntries?: number
  /** Whether the session's app-key still exists (a dropped app-key ends its sessions). */
  appKeyExists?: (appKey: AppKeyInfo) => boolean
}

export interface DashboardSession {
  appKey: AppKeyInfo
  /** The value writes carry in X-Agora-CSRF. */
  csrf: string
}

export type LoginOutcome = { ok: true; sessionId: string; session: DashboardSession } | { ok: false; reason: 'unknown' | 'expired' }

export const DEFAULT_LOGIN_TOKEN_TTL_MS = 60_000
export const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60_000
const DEFAULT_MAX_ENTRIES = 64

interface Pending {
  appKey: AppKeyInfo
  expiresAt: number
}

interface Held extends DashboardSession {
  lastSeen: number
}

export class DashboardSessions {
  readonly #clock: DashboardClock
  readonly #tokenTtl: number
  readonly #idle: number
  readonly #max: number
  readonly #appKeyExists: (appKey: AppKeyInfo) => boolean
  // Keyed by the SHA-256 of the secret: a heap dump or a log of the maps names no usable token.
  readonly #tokens = new Map<string, Pending>()
  readonly #sessions = new Map<string, Held>()

  constructor(options: DashboardSessionsOptions = {}) {
    this.#clock = options.clock ?? { now: () => Date.now() }
    this.#tokenTtl = options.loginTokenTtlMs ?? DEFAULT_LOGIN_TOKEN_TTL_MS
    this.#idle = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS
    this.#max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    this.#appKeyExists = options.appKeyExists ?? (() => true)
  }

  /** A fresh single-use login token for `appKey`, valid for the token lifetime. */
  issueLoginToken(appKey: AppKeyInfo): { token: string; expiresAt: number } {
    this.#sweep()
    const token = randomBytes(32).toString('base64url')
    const expiresAt = this.#clock.now() + this.#tokenTtl
    this.#tokens.set(digest(token), { appKey, expiresAt })
    trim(this.#tokens, this.#max)
    return { token, expiresAt }
  }

  /** Trades a login token for a session; the token is spent whatever the outcome. */
  redeem(token: string): LoginOutcome {
    const key = digest(token)
    const pending = this.#tokens.get(key)
    this.#tokens.delete(key)
    if (pending === undefined) return { ok: false, reason: 'unknown' }
    const now = this.#clock.now()
    if (now >= pending.expiresAt || !this.#appKeyExists(pending.appKey)) return { ok: false, reason: 'expired' }
    const sessionId = randomBytes(32).toString('base64url')
    const session: Held = { appKey: pending.appKey, csrf: randomBytes(24).toString('base64url'), lastSeen: now }
    this.#sessions.set(digest(sessionId), session)
    trim(this.#sessions, this.#max)
    return { ok: true, sessionId, session: { appKey: session.appKey, csrf: session.csrf } }
  }

  /** The live session a cookie names, its idle time renewed; null when unknown, idle too long, or its app-key dropped. */
  session(sessionId: string): DashboardSession | null {
    const key = digest(sessionId)
    const held = this.#sessions.get(key)
    if (held === undefined) return null
    const now = this.#clock.now()
    if (now - held.lastSeen >= this.#idle || !this.#appKeyExists(held.appKey)) {
      this.#sessions.delete(key)
      return null
    }
    held.lastSeen = now
    return { appKey: held.appKey, csrf: held.csrf }
  }

  /** Ends a session (logout). */
  end(sessionId: string): void {
    this.#sessions.delete(digest(sessionId))
  }

  /** Whether `presented` is the session's CSRF value (compared in constant time). */
  static csrfMatches(session: DashboardSession, presented: string | undefined): boolean {
    if (presented === undefined) return false
    const expected = Buffer.from(session.csrf)
    const given = Buffer.from(presented)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  /** How many sessions are held (for tests and status). */
  get size(): number {
    return this.#sessions.size
  }

  #sweep(): void {
    const now = this.#clock.now()
    for (const [key, pending] of this.#tokens) if (now >= pending.expiresAt) this.#tokens.delete(key)
    for (const [key, held] of this.#sessions) if (now - held.lastSeen >= this.#idle) this.#sessions.delete(key)
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

// Maps keep insertion order: the first entries are the oldest.
function trim<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value
    if (oldest === undefined) return
    map.delete(oldest)
  }
}
