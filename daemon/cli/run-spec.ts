// `agora run`'s command line as a checked job: every value is validated here,
// before the daemon is asked anything, so a bad argument changes nothing.
// The amounts module alone (as the SDK uses it): the payment facade would load the chain libraries for nothing.
import { parseAmount } from '../../payment/model/amounts.ts'
import { statSync } from 'node:fs'
import { UsageError } from './usage.ts'
import type { CommandInput, OptionValues } from './usage.ts'

export interface RunSpec {
  readonly runtime: 'wasmtime' | 'vm'
  readonly image: string
  readonly command: string
  readonly args: readonly string[]
  /** Decimal token strings, as the SDK takes them. */
  readonly maxPrices: { readonly startPrice?: string; readonly cpuPerHour?: string; readonly envPerHour?: string }
  readonly budget: string
  readonly timeoutMs: number
  readonly startupTimeoutMs: number
  readonly paymentWaitMs: number
  readonly env: Readonly<Record<string, string>>
  readonly subnet?: string
  readonly api: { readonly url?: string; readonly appKey?: string }
  readonly json: boolean
}

export const DEFAULT_BUDGET = '1'
const DEFAULT_TIMEOUT_S = 600
const DEFAULT_STARTUP_TIMEOUT_S = 30
const DEFAULT_PAYMENT_WAIT_S = 30
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const VM_FILE = /\.(?:tar|gvmi)$/i

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** A decimal token amount (e.g. "0.5"), checked with the payment module's own rules. */
function amount(values: OptionValues, name: string): string | undefined {
  const value = text(values, name)
  if (value === undefined) return undefined
  try {
    parseAmount(value, `--${name}`)
  } catch {
    throw new UsageError(`--${name}: ${JSON.stringify(value.slice(0, 80))} is not an amount of tokens (a decimal such as 0.5, at most 18 decimals)`)
  }
  return value
}

function seconds(values: OptionValues, name: string, fallback: number, zero = false): number {
  const value = text(values, name)
  if (value === undefined) return fallback * 1000
  const number = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isFinite(number) || (zero ? number < 0 : number <= 0) || number > 7 * 24 * 3600) {
    throw new UsageError(`--${name}: ${JSON.stringify(value.slice(0, 80))} is not a number of seconds (${zero ? '0' : 'above 0'} to a week)`)
  }
  return Math.round(number * 1000)
}

function runtimeOf(values: OptionValues, image: string): 'wasmtime' | 'vm' {
  const given = text(values, 'runtime')
  if (given === undefined) return image.startsWith('docker:') || VM_FILE.test(image) ? 'vm' : 'wasmtime'
  if (given !== 'wasmtime' && given !== 'vm') throw new UsageError(`--runtime: ${JSON.stringify(given.slice(0, 40))} is not wasmtime or vm`)
  if (given === 'wasmtime' && image.startsWith('docker:')) throw new UsageError(`--image ${image.slice(0, 80)} is a Docker image: it needs --runtime vm`)
  return given
}

function envOf(values: OptionValues): Record<string, string> {
  const env: Record<string, string> = {}
  const given = values.env
  for (const pair of Array.isArray(given) ? given : []) {
    const at = pair.indexOf('=')
    const name = at === -1 ? pair : pair.slice(0, at)
    if (at === -1 || !ENV_NAME.test(name)) throw new UsageError(`--env: ${JSON.stringify(pair.slice(0, 80))} is not NAME=VALUE`)
    env[name] = pair.slice(at + 1)
  }
  return env
}

function apiOf(values: OptionValues): { url?: string; appKey?: string } {
  const url = text(values, 'api-url')
  if (url !== undefined) {
    let parsed: URL | undefined
    try {
      parsed = new URL(url)
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol))
      throw new UsageError(`--api-url: ${JSON.stringify(url.slice(0, 80))} is not an http(s) URL`)
  }
  const appKey = text(values, 'app-key')
  if (appKey === '') throw new UsageError('--app-key is empty')
  return { ...(url === undefined ? {} : { url }), ...(appKey === undefined ? {} : { appKey }) }
}

/** A local image must be a file here: said before the daemon is asked anything. */
function checkLocalImage(image: string): void {
  if (image.startsWith('docker:') || image.startsWith('hash:')) return
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image)) throw new UsageError(`--image ${image.slice(0, 80)}: a URL needs its digest (hash:sha3:<hex>:<url>)`)
  const info = statSync(image, { throwIfNoEntry: false })
  if (info === undefined || !info.isFile())
    throw new UsageError(`--image ${image.slice(0, 200)}: no such file (a .wasm, docker save or GVMI file, or docker:<image>)`)
}

export function runSpecOf(input: CommandInput): RunSpec {
  const { values, positionals } = input
  const image = text(values, 'image')
  if (image === undefined || image === '') throw new UsageError('--image is required (a .wasm file, docker:<image>, …)')
  checkLocalImage(image)
  const [command, ...args] = positionals
  if (command === undefined || command === '') throw new UsageError('missing the command to run: agora run --image IMAGE -- <command> [<arg>...]')
  const any = amount(values, 'max-price')
  const startPrice = amount(values, 'max-start-price') ?? any
  const cpuPerHour = amount(values, 'max-cpu-per-hour') ?? any
  const envPerHour = amount(values, 'max-env-per-hour') ?? any
  const subnet = text(values, 'subnet')
  return {
    runtime: runtimeOf(values, image),
    image,
    command,
    args,
    maxPrices: {
      ...(startPrice === undefined ? {} : { startPrice }),
      ...(cpuPerHour === undefined ? {} : { cpuPerHour }),
      ...(envPerHour === undefined ? {} : { envPerHour })
    },
    budget: amount(values, 'budget') ?? DEFAULT_BUDGET,
    timeoutMs: seconds(values, 'timeout', DEFAULT_TIMEOUT_S),
    startupTimeoutMs: seconds(values, 'startup-timeout', DEFAULT_STARTUP_TIMEOUT_S),
    paymentWaitMs: seconds(values, 'payment-wait', DEFAULT_PAYMENT_WAIT_S, true),
    env: envOf(values),
    ...(subnet === undefined ? {} : { subnet }),
    api: apiOf(values),
    json: values.json === true
  }
}
