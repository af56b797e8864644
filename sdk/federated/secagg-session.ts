// A secure-aggregation session on the requester's daemon, as the SDK drives
// it: created for the owners that will contribute, each owner's output file
// sent to the session's URL by its activity (the owner's daemon masks it),
// and the session's end long polled. Shared by federated runs and workflows.
import type { ApiClient } from '../client/api-client.ts'
import { runBatch } from '../rental/batch.ts'

export const SECAGG_SESSIONS_PATH = '/agora-api/v1/custody/secagg/sessions'
/** One long poll for the session's end (s). */
const SESSION_POLL_S = 30
const POLL_MARGIN_MS = 15_000

export interface SecureSumTerms {
  /** The owners' node ids. */
  readonly participants: readonly string[]
  readonly threshold: number
  readonly length: number
  readonly fractionalBits?: number
  readonly roundTimeoutMs?: number
}

export interface SecureSession {
  readonly sessionId: string
  /** Where an activity transfers its file to contribute it (agora-secagg:…). */
  readonly url: string
}

export interface SecureSessionEnd {
  readonly sessionId: string
  readonly state: 'Open' | 'Done' | 'Failed'
  readonly survivors: readonly string[]
  readonly dropped: readonly string[]
  /** The sum, decoded from fixed point. */
  readonly sum?: readonly number[]
  /** The exact sum in fixed point (decimal integers scaled by 2^fractionalBits). */
  readonly sumFixed?: readonly string[]
  readonly fractionalBits: number
  readonly error?: string
}

export async function openSecureSession(api: ApiClient, terms: SecureSumTerms, signal?: AbortSignal): Promise<SecureSession> {
  return await api.call<SecureSession>('POST', SECAGG_SESSIONS_PATH, {
    body: {
      participants: terms.participants,
      threshold: terms.threshold,
      length: terms.length,
      ...(terms.fractionalBits === undefined ? {} : { fractionalBits: terms.fractionalBits }),
      ...(terms.roundTimeoutMs === undefined ? {} : { roundTimeoutMs: terms.roundTimeoutMs })
    },
    ...(signal === undefined ? {} : { signal })
  })
}

/** Has the activity send its file (an absolute path in the container) to the session. */
export async function contributeToSession(api: ApiClient, activityId: string, file: string, sessionUrl: string, signal?: AbortSignal): Promise<void> {
  await runBatch(api, activityId, [{ transfer: { from: `container:${file}`, to: sessionUrl } }], signal)
}

/** Long polls until the session is Done or Failed (the daemon's round timeouts bound it). */
export async function secureSessionEnd(api: ApiClient, sessionId: string, signal?: AbortSignal): Promise<SecureSessionEnd> {
  for (;;) {
    const view = await api.call<SecureSessionEnd>('GET', `${SECAGG_SESSIONS_PATH}/${encodeURIComponent(sessionId)}`, {
      query: { timeout: SESSION_POLL_S },
      timeoutMs: SESSION_POLL_S * 1000 + POLL_MARGIN_MS,
      ...(signal === undefined ? {} : { signal })
    })
    if (view.state !== 'Open') return view
  }
}
