// One activity: its state, its runtime, and its batches, run one after another
// in the order they were sent. Each command's outcome becomes a result and a
// pair of started/finished events; the first failing command ends its batch.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '../../net/index.ts'
import type { Logger } from '../../net/index.ts'
import { ExeUnitError, requesterMessage } from '../errors.ts'
import type { Clock } from '../clock.ts'
import type { Command, ScriptCommand } from '../exescript/types.ts'
import type { ExeUnitLimits } from '../limits.ts'
import type { ActivityResources } from '../properties.ts'
import type { Runtime } from '../runtime/runtime.ts'
import { RuntimeLostError } from '../runtime/runtime.ts'
import { transferFile } from '../transfer/transfer.ts'
import type { TransferContext, TransferOutcome } from '../transfer/transfer.ts'
import type { CustodyGrant } from '../custody.ts'
import { custodyTransfer } from './custody-transfer.ts'
import type { RequesterFileChannel } from '../transfer/requester-channel.ts'
import { diskUsage } from '../usage/disk-usage.ts'
import { UsageMeter } from '../usage/usage-meter.ts'
import { Batch } from './batch.ts'
import { createOutputSink } from './capture.ts'
import type { Signer } from './result-signer.ts'
import { StateMachine, refusal } from './state.ts'
import type { ActivityState, ActivityUsage, ExeScriptCommandState } from './types.ts'

export interface ActivityOptions {
  id: string
  agreementId: string
  requesterId: string
  /** The activity's directory on the host; removed when it ends. */
  dir: string
  resources: ActivityResources
  runtime: Runtime
  limits: ExeUnitLimits
  sign: Signer
  clock: Clock
  requesterFiles: RequesterFileChannel | undefined
  allowPrivateNetworks: boolean
  /** A dataset granted by custody: results leave only from /out through it; its logs and exit codes rules apply. */
  custody?: CustodyGrant
  onState: (state: ActivityState) => void
  /** Called once, after the activity has terminated and released its runtime. */
  onTerminated: () => void
  logger?: Logger
  /** Called after each command, before its result is visible: usage has changed. */
  onCommandDone?: () => Promise<void>
}

interface CommandOutcome {
  result: 'Ok' | 'Error'
  returnCode: number
  stdout?: string
  stderr?: string
  message?: string
}

export class Activity {
  readonly id: string
  readonly agreementId: string
  readonly requesterId: string
  readonly runtimeName: string
  readonly createdAt: Date
  readonly #options: ActivityOptions
  readonly #logger: Logger
  readonly #state: StateMachine
  readonly #meter: UsageMeter
  readonly #batches = new Map<string, Batch>()
  readonly #queue: Batch[] = []
  readonly #abort = new AbortController()
  #draining = false
  #running: { batch: Batch; command: Command } | undefined
  #terminating: Promise<void> | undefined

  constructor(options: ActivityOptions) {
    this.#options = options
    this.#logger = (options.logger ?? silentLogger).child({ activityId: options.id })
    this.id = options.id
    this.agreementId = options.agreementId
    this.requesterId = options.requesterId
    this.runtimeName = options.runtime.name
    this.#meter = new UsageMeter(options.resources.usageVector, options.clock)
    this.createdAt = new Date(options.clock.now())
    this.#state = new StateMachine(options.onState)
    // The runtime exists from here on: Golem's exe-unit reports Initialized once started.
    this.#state.begin('Initialized')
    this.#state.set('Initialized')
  }

  get terminated(): boolean {
    return this.#state.terminated
  }

  state(): ActivityState {
    return this.#state.snapshot()
  }

  /** Queues a parsed batch; it runs after those sent before it. */
  exec(commands: ScriptCommand[]): Batch {
    if (this.#state.terminated || this.#terminating !== undefined) {
      throw new ExeUnitError('Conflict', `activity ${this.id} is terminated`)
    }
    if (this.#queue.length >= this.#options.limits.maxQueuedBatches) {
      throw new ExeUnitError('CapacityExceeded', `activity ${this.id} already has ${this.#queue.length} batches waiting`)
    }
    const batch = new Batch(randomBytes(16).toString('hex'), commands)
    this.#batches.set(batch.id, batch)
    this.#forgetOldBatches()
    this.#queue.push(batch)
    void this.#drain()
    return batch
  }

  batch(batchId: string): Batch {
    const batch = this.#batches.get(batchId)
    if (batch === undefined) throw new ExeUnitError('NotFound', `activity ${this.id} has no batch ${batchId}`)
    return batch
  }

  runningCommand(): ExeScriptCommandState[] {
    const running = this.#running
    if (running === undefined) return []
    const { command } = running
    const state: ExeScriptCommandState = { batchId: running.batch.id, command: command.kind }
    if (command.kind === 'run') state.params = [command.entryPoint, ...command.args]
    if (command.kind === 'transfer') state.params = [command.from, command.to]
    if (command.kind === 'start') state.params = command.args
    return [state]
  }

  /** Counters by name and as the API's vector, from the runtime's last measurement: callers pick what they need. */
  async usageReport(): Promise<{ counters: Record<string, number>; usage: ActivityUsage }> {
    // Once terminating, the meter keeps the final reading.
    if (!this.#state.terminated && this.#terminating === undefined) this.#meter.update(this.#options.runtime.usage())
    return { counters: this.#meter.counters(), usage: this.#meter.vector() }
  }

  /** Ends the activity: the running command is aborted, waiting batches fail, the runtime is removed. */
  async destroy(reason: string, errorMessage?: string): Promise<void> {
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error(`the activity was destroyed: ${reason}`))
    for (const batch of this.#queue.splice(0)) {
      batch.addResult(0, { result: 'Error', message: `the activity was terminated before this batch ran: ${reason}` })
    }
    await this.#terminate(reason, errorMessage)
  }

  /** The runtime measures once more before it goes: the counters end with what the workload really used. */
  async #readFinalUsage(): Promise<void> {
    const { runtime } = this.#options
    try {
      this.#meter.update(await runtime.finalUsage())
    } catch (err) {
      this.#logger.warn({ err }, 'the final usage measurement failed; the last one stands')
      this.#meter.update(runtime.usage())
    }
  }

  #terminate(reason: string, error?: string): Promise<void> {
    this.#terminating ??= (async () => {
      this.#state.begin('Terminated')
      await this.#readFinalUsage()
      this.#meter.stop()
      let cleanupError: string | undefined
      try {
        await this.#options.runtime.terminate()
      } catch (failure) {
        cleanupError = `the runtime did not clean up: ${requesterMessage(failure, this.#logger, 'runtime cleanup failed')}`
      }
      await rm(this.#options.dir, { recursive: true, force: true }).catch(() => {})
      await this.#options.custody?.close().catch((err: unknown) => this.#logger.warn({ err }, 'could not close the custody grant'))
      const detail: { reason: string; errorMessage?: string } = { reason }
      const message = error ?? cleanupError
      if (message !== undefined) detail.errorMessage = message
      this.#state.set('Terminated', detail)
      this.#options.onTerminated()
    })()
    return this.#terminating
  }

  #forgetOldBatches(): void {
    for (const [id, batch] of this.#batches) {
      if (this.#batches.size <= this.#options.limits.keptBatches) return
      if (batch.finished) this.#batches.delete(id)
    }
  }

  async #drain(): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (let batch = this.#queue.shift(); batch !== undefined; batch = this.#queue.shift()) {
        for (let index = 0; index < batch.commands.length && !batch.finished; index++) {
          await this.#runCommand(batch, index)
        }
      }
    } finally {
      this.#draining = false
    }
  }

  async #runCommand(batch: Batch, index: number): Promise<void> {
    const { command, wire } = batch.commands[index] as ScriptCommand
    this.#running = { batch, command }
    batch.emit(index, { started: { command: wire } })
    let outcome: CommandOutcome
    try {
      const refused = refusal(command.kind, this.#state.current)
      outcome = refused !== null ? { result: 'Error', returnCode: 1, message: refused } : await this.#execute(batch, index, command)
    } catch (error) {
      outcome = { result: 'Error', returnCode: 1, message: requesterMessage(error, this.#logger, 'command failed') }
      if (error instanceof RuntimeLostError) {
        this.#state.set('Unresponsive', { errorMessage: outcome.message ?? error.message })
        // What is left of the lost runtime (a dead container) goes at once; the activity waits for its destroy.
        await this.#options.runtime.terminate().catch(() => {})
      }
    } finally {
      this.#running = undefined
    }
    const finished: { returnCode: number; message?: string } = { returnCode: outcome.returnCode }
    if (outcome.message !== undefined) finished.message = outcome.message
    batch.emit(index, { finished })
    await this.#options.onCommandDone?.()
    const { returnCode: _, ...result } = outcome
    batch.addResult(index, result)
  }

  async #execute(batch: Batch, index: number, command: Command): Promise<CommandOutcome> {
    const { runtime } = this.#options
    const signal = this.#abort.signal
    switch (command.kind) {
      case 'deploy':
        await this.#transition('Deployed', async () => await runtime.deploy(signal))
        return { result: 'Ok', returnCode: 0 }
      case 'start':
        await this.#transition('Ready', async () => await runtime.start(command.args, signal))
        return { result: 'Ok', returnCode: 0 }
      case 'run':
        return await this.#run(batch, index, command)
      case 'transfer': {
        const { bytes } = await this.#transfer(command.from, command.to, signal)
        return { result: 'Ok', returnCode: 0, message: `transferred ${bytes} bytes` }
      }
      case 'sign': {
        const payload = {
          activityId: this.id,
          agreementId: this.agreementId,
          batchId: batch.id,
          results: batch.results.map(result => ({ ...result }))
        }
        const signature = await this.#options.sign(payload)
        return { result: 'Ok', returnCode: 0, stdout: JSON.stringify({ payload, signature }) }
      }
      case 'terminate':
        await this.#terminate('Terminated by the requester')
        return { result: 'Ok', returnCode: 0 }
    }
  }

  async #transfer(from: string, to: string, signal: AbortSignal): Promise<TransferOutcome> {
    const { runtime, custody } = this.#options
    const context: TransferContext = {
      hostLocation: path => runtime.hostLocation(path),
      requesterFiles: this.#options.requesterFiles,
      maxBytes: this.#options.limits.maxTransferBytes,
      allowPrivateNetworks: this.#options.allowPrivateNetworks,
      signal,
      storage: { limitBytes: this.#options.resources.storageBytes, usedBytes: async () => await diskUsage(this.#options.dir) }
    }
    if (custody === undefined) return await transferFile(from, to, context)
    return await custodyTransfer(from, to, custody, { ...context, stagingDir: join(this.#options.dir, 'staged') })
  }

  async #transition(to: 'Deployed' | 'Ready', work: () => Promise<void>): Promise<void> {
    this.#state.begin(to)
    try {
      await work()
    } catch (error) {
      this.#state.fail(requesterMessage(error, this.#logger, `${to} failed`))
      throw error
    }
    this.#state.set(to)
  }

  async #run(batch: Batch, index: number, command: Extract<Command, { kind: 'run' }>): Promise<CommandOutcome> {
    const maxBytes = this.#options.limits.maxCaptureBytes
    const { custody } = this.#options
    // Logs can carry the data itself: under a grant with logs "none" they are kept nowhere and never streamed.
    const silent = custody?.logs === 'none'
    const stdout = createOutputSink(silent ? null : command.capture.stdout, output => batch.emit(index, { stdout: output }), maxBytes)
    const stderr = createOutputSink(silent ? null : command.capture.stderr, output => batch.emit(index, { stderr: output }), maxBytes)
    const ran = await this.#options.runtime.run(
      { entryPoint: command.entryPoint, args: command.args, env: command.env, timeoutMs: this.#options.resources.runTimeoutMs },
      { stdout: chunk => stdout.write(chunk), stderr: chunk => stderr.write(chunk) },
      this.#abort.signal
    )
    custody?.recordRun({ command: command.entryPoint, exitCode: ran.exitCode })
    // An exit code carries 8 bits of whatever the workload chose: under "status" only whether it succeeded.
    const outcome = custody?.exitCodes === 'status' ? { ...ran, exitCode: ran.exitCode === 0 ? 0 : 1 } : ran
    const result: CommandOutcome = { result: 'Ok', returnCode: outcome.exitCode }
    const out = stdout.end()
    const err = stderr.end()
    if (out.value !== undefined) result.stdout = out.value
    if (err.value !== undefined) result.stderr = err.value
    const notes: string[] = []
    if (outcome.failure !== undefined) {
      result.result = 'Error'
      notes.push(outcome.failure)
    } else if (outcome.exitCode !== 0) {
      result.result = 'Error'
      notes.push(`the command exited with code ${outcome.exitCode}`)
    }
    if (out.cutBytes > 0) notes.push(`stdout: ${out.cutBytes} bytes beyond the capture limit were cut`)
    if (err.cutBytes > 0) notes.push(`stderr: ${err.cutBytes} bytes beyond the capture limit were cut`)
    if (notes.length > 0) result.message = notes.join('; ')
    return result
  }
}
