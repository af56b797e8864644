// `agora workflow run <file.json>`: a workflow document run through the
// requester SDK on a running requester daemon, each step's state printed as it
// changes; `agora workflow show <id>`: the daemon's record of it, step by step
// (state, site, inputs, provenance, the owners' verdicts, the reason).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StepEvent, WorkflowDocument, WorkflowRunResult, WorkflowView } from '../../sdk/index.ts'
import { exitCodeOf } from './run-exit.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

/** The largest workflow file read. */
const MAX_FILE_BYTES = 1024 * 1024
const WORKFLOW_ID = /^wf-[0-9a-f]{32}$/

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

function apiOf(values: OptionValues): { url?: string; appKey?: string } {
  const url = text(values, 'api-url')
  if (url !== undefined && !/^https?:\/\//.test(url)) throw new UsageError(`--api-url: ${JSON.stringify(url.slice(0, 80))} is not an http(s) URL`)
  const appKey = text(values, 'app-key')
  if (appKey === '') throw new UsageError('--app-key is empty')
  return { ...(url === undefined ? {} : { url }), ...(appKey === undefined ? {} : { appKey }) }
}

async function documentOf(path: string): Promise<WorkflowDocument> {
  let raw: Buffer
  try {
    raw = await readFile(path)
  } catch {
    throw new UsageError(`${path.slice(0, 200)}: no such file`)
  }
  if (raw.length > MAX_FILE_BYTES) throw new UsageError(`${path.slice(0, 200)} is larger than ${MAX_FILE_BYTES} bytes`)
  try {
    return JSON.parse(raw.toString('utf8')) as WorkflowDocument
  } catch {
    throw new UsageError(`${path.slice(0, 200)} is not JSON`)
  }
}

function budgetOf(values: OptionValues): string {
  const budget = text(values, 'budget') ?? '1'
  if (!/^\d+(?:\.\d{1,18})?$/.test(budget)) throw new UsageError(`--budget: ${JSON.stringify(budget.slice(0, 80))} is not an amount of tokens`)
  return budget
}

function startupOf(values: OptionValues): number {
  const value = text(values, 'startup-timeout') ?? '60'
  const seconds = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN
  if (!(seconds > 0 && seconds <= 3600))
    throw new UsageError(`--startup-timeout: ${JSON.stringify(value.slice(0, 80))} is not a number of seconds (above 0, at most 3600)`)
  return Math.round(seconds * 1000)
}

export const workflowRun: CommandRun = async ({ values, positionals }) => {
  const [file] = positionals
  if (file === undefined) throw new UsageError('missing the workflow file: agora workflow run <file.json>')
  const document = await documentOf(file)
  const budget = budgetOf(values)
  const startupTimeoutMs = startupOf(values)
  const out = text(values, 'out')
  const json = values.json === true
  const { connect, runWorkflow, workflowExecutor } = await import('../../sdk/index.ts')
  let result: WorkflowRunResult
  const client = await connect(apiOf(values)).catch((error: unknown) => {
    process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`)
    return undefined
  })
  if (client === undefined) return 5
  try {
    const executor = workflowExecutor(client, { budget, startupTimeoutMs, maxPrices: { startPrice: budget, cpuPerHour: budget, envPerHour: budget } })
    const onStep = (event: StepEvent): void => {
      if (json) process.stdout.write(`${JSON.stringify({ event: 'step', ...event })}\n`)
      else process.stderr.write(`${event.workflowId} ${event.step.padEnd(16)} ${event.state}${event.reason === undefined ? '' : `: ${event.reason}`}\n`)
    }
    result = await runWorkflow(client.api, document, { executor, onStep })
  } catch (error) {
    process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`)
    return exitCodeOf(error)
  } finally {
    await client.close()
  }
  if (out !== undefined) {
    await mkdir(out, { recursive: true })
    for (const [name, bytes] of result.results) await writeFile(join(out, name), bytes)
  }
  const results = [...result.results].map(([name, bytes]) => ({ name, bytes: bytes.length }))
  if (json) process.stdout.write(`${JSON.stringify({ workflowId: result.workflowId, ok: result.ok, states: result.states, results })}\n`)
  else {
    const written = out === undefined ? '' : ` (written to ${out})`
    process.stderr.write(
      `workflow ${result.workflowId}: ${result.ok ? 'done' : 'stopped'}; results: ${results.map(r => `${r.name} ${r.bytes} B`).join(', ') || 'none'}${written}\n`
    )
  }
  return result.ok ? 0 : 1
}

export const workflowShow: CommandRun = async ({ values, positionals }) => {
  const [id] = positionals
  if (id === undefined || !WORKFLOW_ID.test(id))
    throw new UsageError('agora workflow show <id>: the id is wf- and 32 hex digits, as `agora workflow run` prints it')
  const { connect, WORKFLOWS_PATH } = await import('../../sdk/index.ts')
  try {
    const client = await connect(apiOf(values))
    try {
      const view = await client.api.call<WorkflowView>('GET', `${WORKFLOWS_PATH}/${id}`)
      process.stdout.write(values.json === true ? `${JSON.stringify(view)}\n` : renderWorkflow(view))
      return 0
    } finally {
      await client.close()
    }
  } catch (error) {
    process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`)
    return exitCodeOf(error)
  }
}

export function renderWorkflow(view: WorkflowView): string {
  const lines = [`workflow ${view.workflowId} "${view.name}" (created ${view.createdAt})`]
  const documents = new Map(view.document.steps.map(step => [step.id, step]))
  for (const step of view.steps) {
    lines.push(`${step.id}: ${step.state}`)
    lines.push(`  site        ${step.site}${step.providerId === undefined ? '' : ` (provider ${step.providerId})`}`)
    const document = documents.get(step.id)
    if (document !== undefined && 'aggregate' in document) {
      const { length, threshold } = document.aggregate.secure
      const inputs = Object.keys(document.inputs).length
      lines.push(`  aggregate   secure sum of ${length} values, threshold ${threshold ?? inputs} of ${inputs}`)
    }
    const inputs = Object.entries(step.inputs).map(([name, from]) => `${name} ← ${from}`)
    lines.push(`  inputs      ${inputs.join(', ') || 'none'}`)
    lines.push(`  provenance  ${step.provenance.map(ref => `${ref.owner}/${ref.dataset}`).join(', ') || 'none'}`)
    for (const move of step.moves) {
      const owners = move.verdict.owners.map(owner => `${owner.owner}/${owner.dataset} ${owner.allow ? 'allows' : 'refuses'}`).join(', ')
      lines.push(`  move        ${move.input} → ${move.verdict.destination}: ${move.verdict.allow ? 'allowed' : 'refused'} (${owners})`)
    }
    if (step.reason !== undefined) lines.push(`  reason      ${step.reason}`)
  }
  return `${lines.join('\n')}\n`
}
