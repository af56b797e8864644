// One rented provider: an approved agreement with a started activity. It runs
// commands (exit code and output; a failure throws unless allowed), moves files
// through the requester daemon's transfer API, notices a lost provider (its
// termination, or calls that fail as Unreachable/PeerTimeout/Gone) and then
// refuses every call with ProviderLostError, and releases itself once,
// bounded in time whatever the provider does.
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { withinTime } from '../../net/kernel.ts'
import type { Clock } from '../../net/kernel.ts'
import { AbortedError, CommandFailedError, ProviderLostError, SdkError, TimeoutError } from '../errors.ts'
import type { AgreementView, ApiClient } from '../client/api-client.ts'
import type { PaymentGuard } from '../payments/payment-guard.ts'
import type { OfferSummary, ReleaseOptions, Rental, RentalReport, RentalState, RunOptions, RunResult, RunStream } from '../types.ts'
import { runBatch, streamCommand } from './batch.ts'
import { OutputQueue } from './output-queue.ts'

export const DEFAULT_RELEASE_TIMEOUT_MS = 30_000
/** The most each step of a release (destroy, terminate) may take before the next (ms). */
const RELEASE_STEP_MS = 5_000
/** Codes that mean the provider is gone, not that the call was wrong. */
const LOST_CODES = new Set(['Unreachable', 'PeerTimeout', 'Gone'])

export interface RentalParts {
  readonly api: ApiClient
  readonly clock: Clock
  readonly guard: PaymentGuard
  readonly agreement: AgreementView
  readonly activityId: string
  readonly offer: OfferSummary
  readonly runtime: 'wasmtime' | 'vm'
  /** Called once the rental is released (the client forgets it). */
  readonly onReleased: (rental: AgoraRental) => void
}

export class AgoraRental extends EventTarget implements Rental {
  readonly agreementId: string
  readonly activityId: string
  readonly provider: { readonly id: string; readonly name?: string }
  readonly #parts: RentalParts
  #state: RentalState = 'active'
  #lost: { reason: string; code?: string } | undefined
  #released: Promise<RentalReport> | undefined

  constructor(parts: RentalParts) {
    super()
    this.#parts = parts
    this.agreementId = parts.agreement.agreementId
    this.activityId = parts.activityId
    this.provider = parts.offer.providerName === undefined ? { id: parts.offer.providerId } : { id: parts.offer.providerId, name: parts.offer.providerName }
  }

  get state(): RentalState {
    return this.#state
  }

  get cost(): bigint {
    return this.#parts.guard.acceptedTotal(this.agreementId)
  }

  /** The provider ended the agreement or stopped answering: said once, as an event; every later call throws. */
  markLost(reason: string, code?: string): void {
    if (this.#lost !== undefined || this.#state === 'released' || this.#state === 'releasing') return
    this.#lost = code === undefined ? { reason } : { reason, code }
    this.#state = 'lost'
    this.dispatchEvent(new CustomEvent('lost', { detail: this.#lost }))
  }

  async run(command: string, args?: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return await this.runAndStream(command, args, options).result
  }

  runAndStream(command: string, args?: readonly string[], options: RunOptions = {}): RunStream {
    const stdout = new OutputQueue()
    const stderr = new OutputQueue()
    const result = this.#stream(command, args, options, stdout, stderr)
    result.then(
      () => {
        stdout.end()
        stderr.end()
      },
      (error: unknown) => {
        stdout.end(error)
        stderr.end(error)
      }
    )
    // A caller reading only the output still hears the failure there; the result's own rejection is then not unhandled.
    result.catch(() => {})
    return { stdout, stderr, result }
  }

  async #stream(command: string, args: readonly string[] | undefined, options: RunOptions, stdout: OutputQueue, stderr: OutputQueue): Promise<RunResult> {
    if (typeof command !== 'string' || command === '') throw new SdkError('BadRequest', 'run needs a command')
    if (args !== undefined && (!Array.isArray(args) || !args.every(arg => typeof arg === 'string')))
      throw new SdkError('BadRequest', 'args must be a list of strings')
    const shell = args === undefined && this.#parts.runtime === 'vm'
    const run = {
      entry_point: shell ? '/bin/sh' : command,
      args: shell ? ['-c', command] : [...(args ?? [])],
      ...(options.env === undefined ? {} : { env: options.env })
    }
    const { signal, done } = this.#waitSignal(options)
    try {
      const finished = await this.#call(
        async () =>
          await streamCommand(this.#parts.api, this.activityId, run, { onStdout: text => stdout.push(text), onStderr: text => stderr.push(text) }, signal)
      )
      const result = { stdout: stdout.text(), stderr: stderr.text(), exitCode: finished.exitCode }
      if (finished.exitCode !== 0 && options.allowFailure !== true) {
        throw new CommandFailedError(
          `${command} exited with code ${finished.exitCode}${finished.message === undefined ? '' : ` (${finished.message})`}`,
          result
        )
      }
      return result
    } catch (error) {
      throw timedOut(error, signal, options)
    } finally {
      done()
    }
  }

  async upload(source: string | Uint8Array, remotePath: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    checkRemotePath(remotePath)
    const name = `upload-${randomUUID()}`
    const api = this.#parts.api
    const signal = options.signal
    await this.#call(async () => {
      const bytes = typeof source === 'string' ? (Readable.toWeb(createReadStream(source)) as unknown as AsyncIterable<Uint8Array>) : source
      await api.call('PUT', `/agora-api/v1/transfers/offered/${name}`, { bytes, timeoutMs: 2 ** 31 - 1, ...(signal === undefined ? {} : { signal }) })
      try {
        await runBatch(api, this.activityId, [{ transfer: { from: `agora-requester:${name}`, to: `container:${remotePath}` } }], signal)
      } finally {
        await api.call('DELETE', `/agora-api/v1/transfers/offered/${name}`).catch(() => {})
      }
    })
  }

  async download(remotePath: string, localPath: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    checkRemotePath(remotePath)
    const name = `download-${randomUUID()}`
    const api = this.#parts.api
    const signal = options.signal
    await this.#call(async () => {
      await runBatch(api, this.activityId, [{ transfer: { from: `container:${remotePath}`, to: `agora-requester:${name}` } }], signal)
      try {
        const body = await api.stream('GET', `/agora-api/v1/transfers/received/${name}`, {
          timeoutMs: 2 ** 31 - 1,
          ...(signal === undefined ? {} : { signal })
        })
        try {
          await pipeline(Readable.fromWeb(body as never), createWriteStream(localPath) as Writable)
        } catch (error) {
          // A partial file is not the file.
          await rm(localPath, { force: true })
          throw error
        }
      } finally {
        await api.call('DELETE', `/agora-api/v1/transfers/received/${name}`).catch(() => {})
      }
    })
  }

  release(options: ReleaseOptions = {}): Promise<RentalReport> {
    this.#released ??= this.#release(options.timeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS)
    return this.#released
  }

  async #release(timeoutMs: number): Promise<RentalReport> {
    const { api, clock, guard } = this.#parts
    const wasLost = this.#lost !== undefined
    this.#state = 'releasing'
    const deadline = clock.now() + timeoutMs
    const left = (cap: number): number => Math.max(1, Math.min(cap, deadline - clock.now()))
    // Each step is bounded; a provider that does not answer only makes it end at its bound.
    await api
      .call('DELETE', `/activity-api/v1/activity/${this.activityId}`, { query: { timeout: left(RELEASE_STEP_MS) / 1000 }, timeoutMs: left(RELEASE_STEP_MS) })
      .catch(() => {})
    await api
      .call('POST', `/market-api/v1/agreements/${this.agreementId}/terminate`, {
        body: { message: 'released by the requester', 'golem.requestor.code': 'Success' },
        timeoutMs: left(RELEASE_STEP_MS)
      })
      .catch(() => {})
    let report: RentalReport
    try {
      report = await withinTime(
        guard.settle(this.agreementId, { timeoutMs: left(timeoutMs) }),
        left(timeoutMs) + RELEASE_STEP_MS,
        () => new TimeoutError('settlement took too long'),
        clock
      )
    } catch {
      report = { agreementId: this.agreementId, providerId: this.provider.id, cost: guard.acceptedTotal(this.agreementId), rejected: [] }
    }
    if (report.invoiceId === undefined) report = await handedOver(guard, report, [this.activityId])
    this.#state = wasLost ? 'lost' : 'released'
    this.#parts.onReleased(this)
    return report
  }

  /** A call on the provider: refused once it is lost or released; a failure that means it is gone marks it lost. */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    this.#checkUsable()
    try {
      return await work()
    } catch (error) {
      if (error instanceof SdkError && LOST_CODES.has(error.code)) {
        this.markLost(error.message, error.code)
        throw this.#lostError()
      }
      if (this.#lost !== undefined) throw this.#lostError()
      throw error
    }
  }

  #checkUsable(): void {
    if (this.#lost !== undefined) throw this.#lostError()
    if (this.#state !== 'active') throw new SdkError('Gone', `the rental of agreement ${this.agreementId} is ${this.#state}`)
  }

  #lostError(): ProviderLostError {
    return new ProviderLostError(`provider ${this.provider.id} is lost: ${this.#lost?.reason ?? 'no reason given'}`, this.provider.id)
  }

  /** The caller's signal and timeout as one signal, and what ends its timer. */
  #waitSignal(options: RunOptions): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController()
    const signals: AbortSignal[] = [controller.signal]
    if (options.signal !== undefined) signals.push(options.signal)
    let timer: unknown
    if (options.timeoutMs !== undefined)
      timer = this.#parts.clock.setTimeout(() => controller.abort(new TimeoutError(`the command took longer than ${options.timeoutMs} ms`)), options.timeoutMs)
    return {
      signal: AbortSignal.any(signals),
      done: () => {
        if (timer !== undefined) this.#parts.clock.clearTimeout(timer)
      }
    }
  }
}

function timedOut(error: unknown, signal: AbortSignal, options: RunOptions): unknown {
  if (!signal.aborted) return error
  if (signal.reason instanceof TimeoutError) return signal.reason
  return options.signal?.aborted === true ? new AbortedError() : error
}

function checkRemotePath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || path.length > 4096) {
    throw new SdkError('BadRequest', `the remote path must be absolute (e.g. /work/input.txt), not ${JSON.stringify(path)?.slice(0, 100)}`)
  }
}

/** The promise, or a failure once `ms` pass (the guard is bounded too; this holds whatever it does). */
/** The report with the invoice handed to the daemon when that could be done (a failure leaves the invoice RECEIVED, as before). */
export async function handedOver(guard: PaymentGuard, report: RentalReport, activityIds: readonly string[]): Promise<RentalReport> {
  const mandate = await guard.handOver(report.agreementId, { activityIds, timeoutMs: RELEASE_STEP_MS }).catch(() => undefined)
  return mandate === undefined ? report : { ...report, invoiceMandate: mandate }
}
