// A step at the requester runs on the requester's machine: its WASI module
// (a local .wasm file, or a task package fetched and checked against its
// sha3) under node:wasi, with its inputs at /in and its outputs taken from
// /out. Nothing it reads leaves the machine.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { CommandFailedError, SdkError } from '../errors.ts'
import { taskPackageOf } from '../rental/image.ts'
import type { LocalStepJob, LocalStepOutcome } from './local-step-worker.ts'
import type { WorkflowStepDocument } from './document.ts'
import type { StepSession } from './runner.ts'

// The worker is a sibling module: .ts when run from source, .js once built.
const WORKER_URL = new URL(`./local-step-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
/** The largest module a local step reads or fetches. */
const MAX_MODULE_BYTES = 64 * 1024 * 1024

export async function runLocalStep(step: WorkflowStepDocument, inputs: ReadonlyMap<string, Uint8Array>, signal: AbortSignal): Promise<StepSession> {
  if (step.algorithm.runtime !== 'wasmtime') throw new SdkError('BadRequest', `step "${step.id}" runs at the requester: its runtime must be wasmtime`)
  const module = await moduleBytes(step.algorithm.image, signal)
  const root = await mkdtemp(join(tmpdir(), 'agora-workflow-step-'))
  try {
    const inDir = join(root, 'in')
    const outDir = join(root, 'out')
    await mkdir(inDir)
    await mkdir(outDir)
    for (const [name, bytes] of inputs) await writeFile(join(inDir, name), bytes)
    const exitCode = await runInWorker(
      { module, args: [step.algorithm.command, ...(step.algorithm.args ?? [])], preopens: { '/in': inDir, '/out': outDir } },
      step.id,
      signal
    )
    if (exitCode !== 0) {
      throw new CommandFailedError(`step "${step.id}" exited with ${exitCode} at the requester`, { stdout: '', stderr: '', exitCode })
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }
  return {
    fetch: async output => {
      if (!(step.outputs ?? []).includes(output)) throw new SdkError('NotFound', `step "${step.id}" has no output "${output}"`)
      try {
        return new Uint8Array(await readFile(join(root, 'out', output)))
      } catch {
        throw new SdkError('NotFound', `step "${step.id}" wrote no /out/${output}`)
      }
    },
    close: async () => {
      await rm(root, { recursive: true, force: true })
    }
  }
}

/** Runs the module in its own thread; an abort ends the thread, and the step fails with the abort's reason. */
async function runInWorker(job: LocalStepJob, stepId: string, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted()
  // node:wasi prints an experimental-feature warning on first use, which every user of the
  // SDK (`agora run --json` among them) would otherwise see on stderr.
  const worker = new Worker(WORKER_URL, { workerData: job, execArgv: ['--no-warnings'] })
  const ended = async (): Promise<void> => {
    await worker.terminate()
  }
  signal.addEventListener('abort', ended, { once: true })
  try {
    const outcome = await new Promise<LocalStepOutcome>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', code =>
        reject(signal.aborted ? signal.reason : new SdkError('Internal', `step "${stepId}": its thread ended (${code}) before the module did`))
      )
    })
    if ('error' in outcome) throw new SdkError('BadRequest', `step "${stepId}" could not run at the requester: ${outcome.error}`)
    return outcome.exitCode
  } finally {
    signal.removeEventListener('abort', ended)
    await worker.terminate()
  }
}

async function moduleBytes(image: string, signal: AbortSignal): Promise<Uint8Array> {
  const taskPackage = taskPackageOf(image)
  if (taskPackage === undefined) {
    const size = await stat(image).then(
      found => (found.isFile() ? found.size : undefined),
      () => undefined
    )
    if (size === undefined)
      throw new SdkError('BadRequest', `the module ${JSON.stringify(image.slice(0, 200))} is neither a task package (hash:sha3:<hex>:<url>) nor a file here`)
    if (size > MAX_MODULE_BYTES) throw new SdkError('PayloadTooLarge', `the module ${JSON.stringify(image.slice(0, 200))} is over ${MAX_MODULE_BYTES} bytes`)
    return new Uint8Array(await readFile(image))
  }
  const { algorithm, hex, url } = taskPackage
  if (!/^https?:\/\//.test(url)) throw new SdkError('BadRequest', `a local step fetches its module over http(s), not ${url.slice(0, 100)}`)
  const response = await fetch(url, { signal })
  if (!response.ok) throw new SdkError('Unavailable', `the module at ${url.slice(0, 200)} answered ${response.status}`)
  // Refused before reading when the length says so; a server that does not say is still cut off below.
  if (Number(response.headers.get('content-length') ?? 0) > MAX_MODULE_BYTES) {
    await response.body?.cancel()
    throw new SdkError('PayloadTooLarge', `the module at ${url.slice(0, 200)} is over ${MAX_MODULE_BYTES} bytes`)
  }
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (bytes.length > MAX_MODULE_BYTES) throw new SdkError('PayloadTooLarge', `the module at ${url.slice(0, 200)} is over ${MAX_MODULE_BYTES} bytes`)
  const digest = createHash(algorithm).update(bytes).digest('hex')
  if (digest !== hex.toLowerCase()) throw new SdkError('BadRequest', `the module at ${url.slice(0, 200)} does not match its sha3 ${hex}`)
  return bytes
}
