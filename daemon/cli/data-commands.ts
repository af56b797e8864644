// `agora data add|list|show|remove`: the owner's datasets on the running
// daemon, through its admin socket, as /agora-api/v1/custody/datasets
// answers; printed as a table or, with --json, as the API's JSON. Paths are
// resolved against the command's directory before they are sent: the daemon
// reads them on this same machine.
import { resolve } from 'node:path'
import { printResult, textOption, withDaemon } from './daemon-calls.ts'
import { cellOf, labelled, table } from './table.ts'
import { UsageError } from './usage.ts'
import type { CommandRun, OptionValues } from './usage.ts'

const DATASETS_API = '/agora-api/v1/custody/datasets'
const NO_DAEMON_HINT = "start the daemon (agora service run) to register or see the node's datasets"
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
/** What the daemon takes as a price; it checks it again. */
const PRICE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/

type Json = Record<string, unknown>
type Method = 'GET' | 'POST' | 'DELETE'

async function call<T>(values: OptionValues, method: Method, path: string, body?: unknown): Promise<T> {
  return await withDaemon(values, NO_DAEMON_HINT, async daemon => await daemon.rest<T>(method, `${DATASETS_API}${path}`, body))
}

function datasetName(name: string | undefined): string {
  if (name === undefined || !NAME.test(name)) {
    throw new UsageError(
      `dataset name ${JSON.stringify((name ?? '').slice(0, 80))}: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64`
    )
  }
  return name
}

/** Exactly one source: --csv, --dir, or --sqlite with --view; its path made absolute here. */
function sourceOf(values: OptionValues): Json {
  const given = (['csv', 'dir', 'sqlite'] as const).filter(option => typeof values[option] === 'string')
  if (given.length !== 1) throw new UsageError('give exactly one of --csv FILE, --dir DIR and --sqlite FILE --view SQL')
  const option = given[0] as 'csv' | 'dir' | 'sqlite'
  const path = resolve(values[option] as string)
  const view = values.view
  if (option === 'sqlite') {
    if (typeof view !== 'string' || view.trim() === '') throw new UsageError('--sqlite needs --view SQL: the SELECT that decides what is exposed')
    return { sqlite: path, view }
  }
  if (view !== undefined) throw new UsageError('--view goes with --sqlite')
  return { [option]: path }
}

export const dataAdd: CommandRun = async ({ values, positionals }) => {
  const body: Json = { name: datasetName(positionals[0]), ...sourceOf(values) }
  if (typeof values.description === 'string') body.description = values.description
  if (Array.isArray(values.tag)) body.tags = values.tag
  const perUse = textOption(values, 'price-per-use', PRICE, 'a price in tokens, such as 0.5')
  const perHour = textOption(values, 'price-per-hour', PRICE, 'a price in tokens, such as 0.02')
  if (perUse !== undefined || perHour !== undefined) body.price = { ...(perUse === undefined ? {} : { perUse }), ...(perHour === undefined ? {} : { perHour }) }
  const added = await call<Json>(values, 'POST', '', body)
  return printResult(values, added, () => `added dataset ${String(added.name)}\n${summaryOf(added)}`)
}

export const dataList: CommandRun = async ({ values }) => {
  const datasets = await call<Json[]>(values, 'GET', '')
  return printResult(values, datasets, () => datasetTable(datasets))
}

export const dataShow: CommandRun = async ({ values, positionals }) => {
  const dataset = await call<Json>(values, 'GET', `/${datasetName(positionals[0])}`)
  return printResult(values, dataset, () => {
    const { files, columns, ...rest } = dataset
    const lines = [labelled(rest)]
    const columnList = Array.isArray(columns) ? (columns as Json[]) : []
    if (columnList.length > 0)
      lines.push(
        table(
          ['COLUMN', 'TYPE'],
          columnList.map(column => [cellOf(column.name), cellOf(column.type)])
        )
      )
    const fileList = Array.isArray(files) ? (files as Json[]) : []
    lines.push(
      table(
        ['FILE', 'BYTES', 'SHA3-256'],
        fileList.map(file => [cellOf(file.path), cellOf(file.bytes), cellOf(file.sha3)])
      )
    )
    return lines.join('\n')
  })
}

export const dataRemove: CommandRun = async ({ values, positionals }) => {
  const name = datasetName(positionals[0])
  await call(values, 'DELETE', `/${name}`)
  return printResult(values, { removed: name }, () => `removed dataset ${name} (its snapshot and its offers)\n`)
}

function summaryOf(dataset: Json): string {
  const columns = Array.isArray(dataset.columns) ? (dataset.columns as Json[]).map(column => `${String(column.name)}:${String(column.type)}`) : []
  return labelled({ kind: dataset.kind, rows: dataset.rows, bytes: dataset.bytes, columns, price: dataset.price, snapshot: dataset.dir })
}

function datasetTable(datasets: readonly Json[]): string {
  if (datasets.length === 0) return 'no datasets (agora data add registers one)\n'
  return table(
    ['DATASET', 'KIND', 'ROWS', 'BYTES', 'PER-USE', 'PER-HOUR', 'TAGS', 'POLICY'],
    datasets.map(dataset => {
      const price = (dataset.price ?? {}) as Json
      return [dataset.name, dataset.kind, dataset.rows, dataset.bytes, price.perUse, price.perHour, dataset.tags, dataset.policy].map(cellOf)
    })
  )
}
