// `agora run`: one command on one provider through the requester SDK, on a
// running requester daemon. It finds a provider within the prices and the
// budget, streams the command's output as it comes, releases the rental (the
// SDK accepts what is honestly owed), reports the exit code, the cost and the
// payment's transaction, and exits with the command's exit code.
import { AbortedError } from '../../sdk/index.ts'
import type { Rental, RentalReport } from '../../sdk/index.ts'
import { renderFailure, renderSummary, runReport } from './run-report.ts'
import type { RunReport } from './run-report.ts'
import { paymentOf } from './run-payment.ts'
import { createProgress, progressMode } from './run-progress.ts'
import type { RunProgress } from './run-progress.ts'
import { openRequester } from './run-sdk.ts'
import type { RequesterSession } from './run-sdk.ts'
import { runSpecOf } from './run-spec.ts'
import type { RunSpec } from './run-spec.ts'
import { EXIT, exitCodeOf } from './run-exit.ts'
import type { CommandRun } from './usage.ts'

/** How long Ctrl-C's release may take before agora gives up on the invoice (a second Ctrl-C: at once). */
const RELEASE_ON_INTERRUPT_MS = 15_000
/** How long the release after a finished command waits for the invoice and its acceptance. */
const RELEASE_MS = 30_000

export const runJob: CommandRun = async input => {
  const spec = runSpecOf(input)
  const progress = await createProgress(progressMode(spec.json, process.stderr), process.stderr)
  const interrupt = new AbortController()
  let interrupts = 0
  const onSigint = (): void => {
    interrupts += 1
    // Twice: now. The rental's own bound still ends it on the provider's side.
    if (interrupts > 1) process.exit(EXIT.interrupted)
    progress.step('interrupted: releasing the rental (Ctrl-C again to quit at once)')
    interrupt.abort()
  }
  process.on('SIGINT', onSigint)
  try {
    const report = await runOnce(spec, progress, interrupt.signal)
    progress.stop()
    if (spec.json) process.stdout.write(`${JSON.stringify(report.json)}\n`)
    else process.stderr.write(renderSummary(report))
    return report.exitCode
  } catch (error) {
    progress.stop()
    const failure = interrupt.signal.aborted ? EXIT.interrupted : exitCodeOf(error)
    if (spec.json) process.stdout.write(`${JSON.stringify({ error: renderFailure(error, true) })}\n`)
    else process.stderr.write(`agora: ${renderFailure(error, false)}\n`)
    return failure
  } finally {
    process.off('SIGINT', onSigint)
  }
}

async function runOnce(spec: RunSpec, progress: RunProgress, interrupted: AbortSignal): Promise<RunReport> {
  const phases = phaseTimer()
  progress.step('connecting to the requester daemon')
  const session: RequesterSession = await openRequester(spec, interrupted)
  phases.mark('connectMs')
  let rental: Rental | undefined
  try {
    progress.step(`looking for a provider (${spec.runtime}, budget ${spec.budget})`)
    const rented = await session.rent(spec, interrupted)
    rental = rented
    phases.mark('rentMs')
    progress.step(`running on ${rented.provider.name ?? rented.provider.id}`)
    const result = await streamCommand(rented, spec, progress, interrupted)
    phases.mark('runMs')
    progress.step('releasing the rental and paying')
    const released = await release(rented, RELEASE_MS)
    rental = undefined
    phases.mark('releaseMs')
    progress.step('waiting for the payment transaction')
    const payment = await paymentOf(session.api, released, spec.paymentWaitMs)
    phases.mark('paymentMs')
    return runReport(spec, result, released, payment, phases.done())
  } finally {
    if (rental !== undefined) {
      // Failed or interrupted on the way: the rental ends within its bound, whatever the provider does.
      await release(rental, interrupted.aborted ? RELEASE_ON_INTERRUPT_MS : RELEASE_MS).catch(() => undefined)
    }
    await session.close()
  }
}

/** How long each step took (ms), for --json: where a slow run spent its time. */
function phaseTimer(): { mark: (name: string) => void; done: () => Record<string, number> } {
  const phases: Record<string, number> = {}
  let last = performance.now()
  return {
    mark: name => {
      const now = performance.now()
      phases[name] = Math.round(now - last)
      last = now
    },
    done: () => phases
  }
}

async function release(rental: Rental, timeoutMs: number): Promise<RentalReport> {
  return await rental.release({ timeoutMs })
}

async function streamCommand(
  rental: Rental,
  spec: RunSpec,
  progress: RunProgress,
  interrupted: AbortSignal
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stream = rental.runAndStream(spec.command, spec.args, {
    env: spec.env,
    signal: interrupted,
    timeoutMs: spec.timeoutMs,
    allowFailure: true
  })
  // With --json the output is kept for the document; otherwise it goes straight through.
  const pipe = async (source: AsyncIterable<string>, sink: NodeJS.WriteStream): Promise<void> => {
    for await (const chunk of source) {
      if (spec.json) continue
      progress.pause()
      sink.write(chunk)
    }
  }
  // Ctrl-C goes on to the release at once, whether or not the stream has noticed the abort yet.
  const interruption = new Promise<never>((_resolve, reject) => {
    const stop = (): void => reject(new AbortedError('interrupted'))
    if (interrupted.aborted) stop()
    else interrupted.addEventListener('abort', stop, { once: true })
  })
  const [result] = await Promise.race([Promise.all([stream.result, pipe(stream.stdout, process.stdout), pipe(stream.stderr, process.stderr)]), interruption])
  return result
}
