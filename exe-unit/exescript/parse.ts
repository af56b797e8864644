// Parses and validates an ExeScript batch as Golem sends it: a JSON array of
// one-key objects ({"deploy":{}}, {"run":{...}}, ...). The whole batch is
// refused with an error naming the command index and field before anything runs.
import { ExeUnitError } from '../errors.ts'
import { DEFAULT_EXESCRIPT_LIMITS } from './types.ts'
import type { Capture, CaptureFormat, CaptureMode, CapturePart, Command, ExeScriptLimits, ScriptCommand } from './types.ts'

export class ExeScriptError extends ExeUnitError {
  override name = 'ExeScriptError'

  constructor(message: string) {
    super('BadRequest', message)
  }
}

const COMMAND_KINDS = ['deploy', 'start', 'run', 'transfer', 'sign', 'terminate'] as const

/** Accepts the script text (ExeScriptRequest.text) or the already decoded array. */
export function parseExeScript(script: string | unknown, limits: ExeScriptLimits = DEFAULT_EXESCRIPT_LIMITS): ScriptCommand[] {
  let value = script
  if (typeof script === 'string') {
    if (Buffer.byteLength(script) > limits.maxScriptBytes) {
      throw new ExeScriptError(`script is larger than ${limits.maxScriptBytes} bytes`)
    }
    try {
      value = JSON.parse(script)
    } catch (error) {
      throw new ExeScriptError(`script is not valid JSON: ${(error as Error).message}`)
    }
  } else if (Buffer.byteLength(JSON.stringify(script) ?? '') > limits.maxScriptBytes) {
    throw new ExeScriptError(`script is larger than ${limits.maxScriptBytes} bytes`)
  }
  if (!Array.isArray(value)) throw new ExeScriptError('script must be a JSON array of commands')
  if (value.length === 0) throw new ExeScriptError('script has no commands')
  if (value.length > limits.maxCommands) {
    throw new ExeScriptError(`script has ${value.length} commands, at most ${limits.maxCommands} are allowed`)
  }
  return value.map((entry, index) => parseCommand(entry, new Checker(index, limits)))
}

/** Field checks that name the command index and the path of the field in their errors. */
class Checker {
  readonly index: number
  readonly limits: ExeScriptLimits
  kind = ''

  constructor(index: number, limits: ExeScriptLimits) {
    this.index = index
    this.limits = limits
  }

  fail(field: string, problem: string): never {
    const where = this.kind === '' ? `command ${this.index}` : `command ${this.index} (${this.kind})`
    throw new ExeScriptError(`${where}: ${field === '' ? '' : `${field} `}${problem}`)
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object')
    return value as Record<string, unknown>
  }

  onlyKeys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(field === '' ? key : `${field}.${key}`, 'is not a known field')
    }
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, 'must be a string')
    if (Buffer.byteLength(value) > this.limits.maxArgBytes) this.fail(field, `is longer than ${this.limits.maxArgBytes} bytes`)
    return value
  }

  args(value: unknown, field: string): string[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) this.fail(field, 'must be an array of strings')
    if (value.length > this.limits.maxArgs) this.fail(field, `has more than ${this.limits.maxArgs} entries`)
    return value.map((arg, i) => {
      const text = this.string(arg, `${field}[${i}]`)
      if (text.includes('\0')) this.fail(`${field}[${i}]`, 'must not contain a NUL character')
      return text
    })
  }

  /** An object of string values (golem-js sends `run.env`); null or absent is none. */
  env(value: unknown, field: string): Record<string, string> {
    if (value === undefined || value === null) return {}
    const wire = this.object(value, field)
    const names = Object.keys(wire)
    if (names.length > this.limits.maxEnvVars) this.fail(field, `has more than ${this.limits.maxEnvVars} variables`)
    const env: [string, string][] = []
    let total = 0
    for (const name of names) {
      const where = `${field}.${name}`
      if (name === '' || name.includes('=') || name.includes('\0'))
        this.fail(field, `has a variable name that is empty or contains "=" or NUL: ${JSON.stringify(name.slice(0, 64))}`)
      if (Buffer.byteLength(name) > this.limits.maxEnvNameBytes) this.fail(field, `has a variable name longer than ${this.limits.maxEnvNameBytes} bytes`)
      const text = wire[name]
      if (typeof text !== 'string') this.fail(where, 'must be a string')
      if (Buffer.byteLength(text) > this.limits.maxEnvValueBytes) this.fail(where, `is longer than ${this.limits.maxEnvValueBytes} bytes`)
      if (text.includes('\0')) this.fail(where, 'must not contain a NUL character')
      // As the kernel counts it: NAME=value and its terminating NUL.
      total += Buffer.byteLength(name) + Buffer.byteLength(text) + 2
      if (total > this.limits.maxEnvBytes) this.fail(field, `is larger than ${this.limits.maxEnvBytes} bytes`)
      env.push([name, text])
    }
    // fromEntries keeps a variable named __proto__ as a variable.
    return Object.fromEntries(env)
  }

  size(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) this.fail(field, 'must be a positive integer')
    if (value > this.limits.maxCaptureBytes) this.fail(field, `must be at most ${this.limits.maxCaptureBytes}`)
    return value
  }
}

function parseCommand(entry: unknown, check: Checker): ScriptCommand {
  const wire = check.object(entry, '')
  const keys = Object.keys(wire)
  if (keys.length !== 1) check.fail('', `must have exactly one key, one of ${COMMAND_KINDS.join(', ')}`)
  const kind = keys[0] as string
  if (!(COMMAND_KINDS as readonly string[]).includes(kind)) {
    check.fail('', `is of unknown kind "${kind}", expected one of ${COMMAND_KINDS.join(', ')}`)
  }
  check.kind = kind
  const body = check.object(wire[kind] ?? {}, kind)
  return { command: parseBody(kind as Command['kind'], body, check), wire }
}

function parseBody(kind: Command['kind'], body: Record<string, unknown>, check: Checker): Command {
  switch (kind) {
    case 'deploy':
      // Network, hosts and volumes belong to VPN and storage features not offered;
      // they are accepted (golem-js sends them empty) when they have the right shape.
      check.onlyKeys(body, 'deploy', ['net', 'hosts', 'nodes', 'volumes', 'progress'])
      if (body.net !== undefined && !Array.isArray(body.net)) check.fail('deploy.net', 'must be an array')
      if (Array.isArray(body.net) && body.net.length > 0) check.fail('deploy.net', 'is not supported (no VPN)')
      for (const field of ['hosts', 'nodes', 'volumes', 'progress'] as const) {
        if (body[field] !== undefined) check.object(body[field], `deploy.${field}`)
      }
      return { kind }
    case 'start':
      check.onlyKeys(body, 'start', ['args'])
      return { kind, args: check.args(body.args, 'start.args') }
    case 'run': {
      check.onlyKeys(body, 'run', ['entry_point', 'args', 'env', 'capture'])
      const entryPoint = check.string(body.entry_point, 'run.entry_point')
      if (entryPoint === '' || entryPoint.includes('\0')) check.fail('run.entry_point', 'must be a non-empty string without NUL')
      return {
        kind,
        entryPoint,
        args: check.args(body.args, 'run.args'),
        env: check.env(body.env, 'run.env'),
        capture: parseCapture(body.capture, check)
      }
    }
    case 'transfer': {
      check.onlyKeys(body, 'transfer', ['from', 'to', 'format', 'depth', 'fileset', 'progress'])
      for (const field of ['format', 'depth', 'fileset'] as const) {
        if (body[field] !== undefined && body[field] !== null) check.fail(`transfer.${field}`, 'is not supported (single files only)')
      }
      if (body.progress !== undefined) check.object(body.progress, 'transfer.progress')
      const from = check.string(body.from, 'transfer.from')
      const to = check.string(body.to, 'transfer.to')
      if (from === '') check.fail('transfer.from', 'must not be empty')
      if (to === '') check.fail('transfer.to', 'must not be empty')
      return { kind, from, to }
    }
    case 'sign':
      check.onlyKeys(body, 'sign', [])
      return { kind }
    case 'terminate':
      check.onlyKeys(body, 'terminate', [])
      return { kind }
  }
}

/** With no capture at all, both outputs are returned at the end (bounded by the provider). */
const DEFAULT_MODE: CaptureMode = { atEnd: { format: 'str' } }

function parseCapture(value: unknown, check: Checker): Capture {
  if (value === undefined || value === null) return { stdout: DEFAULT_MODE, stderr: DEFAULT_MODE }
  const capture = check.object(value, 'run.capture')
  check.onlyKeys(capture, 'run.capture', ['stdout', 'stderr'])
  return {
    stdout: parseMode(capture.stdout, 'run.capture.stdout', check),
    stderr: parseMode(capture.stderr, 'run.capture.stderr', check)
  }
}

function parseMode(value: unknown, field: string, check: Checker): CaptureMode | null {
  if (value === undefined || value === null) return null
  const mode = check.object(value, field)
  const keys = Object.keys(mode)
  if (keys.length !== 1 || (keys[0] !== 'atEnd' && keys[0] !== 'stream')) {
    check.fail(field, 'must have exactly one key, atEnd or stream')
  }
  if (keys[0] === 'atEnd') {
    const body = check.object(mode.atEnd ?? {}, `${field}.atEnd`)
    check.onlyKeys(body, `${field}.atEnd`, ['part', 'format'])
    const format = parseFormat(body.format, `${field}.atEnd.format`, check)
    if (body.part === undefined || body.part === null) return { atEnd: { format } }
    return { atEnd: { part: parsePart(body.part, `${field}.atEnd.part`, check), format } }
  }
  const body = check.object(mode.stream ?? {}, `${field}.stream`)
  check.onlyKeys(body, `${field}.stream`, ['limit', 'format'])
  const format = parseFormat(body.format, `${field}.stream.format`, check)
  if (body.limit === undefined || body.limit === null) return { stream: { format } }
  return { stream: { limit: check.size(body.limit, `${field}.stream.limit`), format } }
}

function parsePart(value: unknown, field: string, check: Checker): CapturePart {
  const part = check.object(value, field)
  const keys = Object.keys(part)
  if (keys.length !== 1) check.fail(field, 'must have exactly one key, head, tail or headTail')
  const key = keys[0] as string
  const size = check.size(part[key], `${field}.${key}`)
  switch (key) {
    case 'head':
      return { head: size }
    case 'tail':
      return { tail: size }
    case 'headTail':
      return { headTail: size }
    default:
      return check.fail(`${field}.${key}`, 'is not a known part, expected head, tail or headTail')
  }
}

// Golem serialises the format as "str"/"bin"; the OpenAPI file spells it "string"/"binary".
function parseFormat(value: unknown, field: string, check: Checker): CaptureFormat {
  switch (value) {
    case undefined:
    case null:
    case 'str':
    case 'string':
      return 'str'
    case 'bin':
    case 'binary':
      return 'bin'
    default:
      return check.fail(field, 'must be "str" or "bin"')
  }
}
