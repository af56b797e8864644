// ExeScript batches on one activity: a batch sent and waited for whole (deploy,
// start, transfers), and a command run with its output streamed as it comes
// over the batch's Server-Sent Events, whose `finished` event carries the exit
// code (the batch results do not).
import { isErrorCode } from '../../net/kernel.ts'
import type { ErrorCode } from '../../net/kernel.ts'
import { SdkError } from '../errors.ts'
import type { ApiClient } from '../client/api-client.ts'
import { serverEvents } from './sse.ts'

/** Margin on a long poll for the daemon to answer once its wait ends (ms). */
const POLL_MARGIN_MS = 15_000
/** One wait for batch results (s); a longer batch is waited for in several polls. */
const RESULTS_POLL_S = 60

export interface CommandResult {
  readonly index: number
  readonly result: 'Ok' | 'Error'
  readonly stdout?: string
  readonly stderr?: string
  readonly message?: string
  readonly isBatchFinished: boolean
}

export async function sendBatch(api: ApiClient, activityId: string, commands: readonly unknown[], signal?: AbortSignal): Promise<string> {
  return await api.call<string>('POST', `/activity-api/v1/activity/${activityId}/exec`, {
    body: { text: JSON.stringify(commands) },
    ...(signal === undefined ? {} : { signal })
  })
}

/** Sends a batch and waits until it is finished; a failed command throws with the provider's message (code Conflict). */
export async function runBatch(api: ApiClient, activityId: string, commands: readonly unknown[], signal?: AbortSignal): Promise<CommandResult[]> {
  const batchId = await sendBatch(api, activityId, commands, signal)
  for (;;) {
    const results = await api.call<CommandResult[]>('GET', `/activity-api/v1/activity/${activityId}/exec/${batchId}`, {
      query: { timeout: RESULTS_POLL_S },
      timeoutMs: RESULTS_POLL_S * 1000 + POLL_MARGIN_MS,
      ...(signal === undefined ? {} : { signal })
    })
    const failed = results.find(result => result.result === 'Error')
    if (failed !== undefined) {
      const what = Object.keys((commands[failed.index] ?? {}) as object)[0] ?? 'command'
      throw new SdkError('Conflict', `${what} failed on the provider: ${failed.message ?? 'no message'}`)
    }
    if (results.some(result => result.isBatchFinished) || results.length >= commands.length) return results
  }
}

export interface StreamedCommand {
  onStdout(text: string): void
  onStderr(text: string): void
}

/** Runs one command with streamed capture; resolves with its exit code once its `finished` event comes. */
export async function streamCommand(
  api: ApiClient,
  activityId: string,
  run: { entry_point: string; args: readonly string[]; env?: Readonly<Record<string, string>> },
  sink: StreamedCommand,
  signal: AbortSignal
): Promise<{ exitCode: number; message?: string }> {
  const command = { run: { ...run, capture: { stdout: { stream: { format: 'str' } }, stderr: { stream: { format: 'str' } } } } }
  const batchId = await sendBatch(api, activityId, [command], signal)
  const body = await api.stream('GET', `/activity-api/v1/activity/${activityId}/exec/${batchId}`, {
    accept: 'text/event-stream',
    signal,
    // The stream stays open as long as the command runs: only the caller's signal ends it.
    timeoutMs: 2 ** 31 - 1
  })
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() }
  for await (const event of serverEvents(body)) {
    if (event.event === 'error') {
      const failure = JSON.parse(event.data) as { code?: string; message?: string }
      throw new SdkError(codeOf(failure.code), `the batch's events failed: ${failure.message ?? 'no message'}`)
    }
    if (event.event !== 'runtime') continue
    const kind = (JSON.parse(event.data) as { kind: Record<string, unknown> }).kind
    if ('stdout' in kind) sink.onStdout(textOf(kind.stdout, decoders.stdout))
    else if ('stderr' in kind) sink.onStderr(textOf(kind.stderr, decoders.stderr))
    else if ('finished' in kind) {
      const finished = kind.finished as { returnCode?: number; return_code?: number; message?: string }
      const exitCode = finished.returnCode ?? finished.return_code ?? 1
      return finished.message === undefined ? { exitCode } : { exitCode, message: finished.message }
    }
  }
  throw new SdkError('Unavailable', 'the batch ended without its command finishing')
}

function textOf(output: unknown, decoder: InstanceType<typeof TextDecoder>): string {
  if (typeof output === 'string') return output
  if (Array.isArray(output)) return decoder.decode(Uint8Array.from(output as number[]), { stream: true })
  return ''
}

function codeOf(code: string | undefined): ErrorCode {
  return isErrorCode(code) ? code : 'Internal'
}
