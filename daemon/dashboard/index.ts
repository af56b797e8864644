// The daemon's web dashboard: its login sessions, its built files and its routes.
export { DashboardSessions, DEFAULT_LOGIN_TOKEN_TTL_MS, DEFAULT_SESSION_IDLE_MS } from './sessions.ts'
export type { DashboardClock, DashboardSession, DashboardSessionsOptions, LoginOutcome } from './sessions.ts'
export { defaultDashboardDir, loadDashboardAssets } from './assets.ts'
export type { DashboardAsset, DashboardAssets } from './assets.ts'
export {
  CONTENT_SECURITY_POLICY,
  CSRF_HEADER,
  DASHBOARD_PATH,
  SESSION_COOKIE,
  dashboardCookieAuth,
  dashboardRoutes,
  sessionCookie
} from './http.ts'
export type { DashboardRoutesOptions } from './http.ts'
