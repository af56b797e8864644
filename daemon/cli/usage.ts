// Describing commands, and parsing a command line against them.
import { parseArgs } from 'node:util'
import { CodedError } from '../../net/errors/index.ts'

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends CodedError<'BadRequest'> {
  override name = 'UsageError'

  constructor(message: string, options?: ErrorOptions) {
    super('BadRequest', message, options)
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  /** Placeholder shown in help, e.g. 'DIR'. */
  value?: string
  description: string
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>

export interface CommandInput {
  values: OptionValues
  positionals: string[]
}

/** What a command does: resolves with the exit code. */
export type CommandRun = (input: CommandInput) => Promise<number>

export interface Command {
  /** Words that select it, e.g. ['app-key', 'create']. */
  words: string[]
  /** Positional arguments, e.g. ['<name>']; `[<x>]` optional, a last `[<x>...]` any number. */
  args: string[]
  summary: string
  options: Record<string, OptionSpec>
  /**
   * Imports the command's implementation. Only the command that runs loads
   * its code, so help and usage errors load none of it.
   */
  load: () => Promise<CommandRun>
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', description: 'show this help' }

/** Parses the words after a command's own; throws UsageError on anything unknown or missing. */
export function parseCommandLine(command: Command, argv: string[]): CommandInput | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {}
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = spec.multiple === true ? { type: spec.type, multiple: true } : { type: spec.type }
  }
  options.help = { type: HELP_OPTION.type, short: 'h' }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    // parseArgs's messages go on to explain '--'; the first sentence is the point.
    const message = (err as Error).message.split(/\. |\n/)[0] ?? 'bad arguments'
    throw new UsageError(`${message} (agora ${command.words.join(' ')})`)
  }
  if (parsed.values.help === true) return 'help'
  const { positionals } = parsed
  // `[<x>]` is optional, and a last `[<x>...]` takes any number of words.
  const required = command.args.filter(arg => !arg.startsWith('['))
  const variadic = command.args.at(-1)?.endsWith('...]') === true
  if (positionals.length < required.length) {
    throw new UsageError(`missing ${required.slice(positionals.length).join(' ')}`)
  }
  if (!variadic && positionals.length > command.args.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[command.args.length])}`)
  }
  return { values: parsed.values as OptionValues, positionals }
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: agora ${[...command.words, ...command.args].join(' ')} [options]`, '', command.summary, '', 'Options:']
  const entries = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, spec]) => {
    const flag = `--${name}${spec.value === undefined ? '' : ` ${spec.value}`}${name === 'help' ? ', -h' : ''}`
    return [flag, spec.description + (spec.multiple === true ? ' (repeatable)' : '')] as const
  })
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2
  for (const [flag, description] of entries) lines.push(`  ${flag.padEnd(width)}${description}`)
  return `${lines.join('\n')}\n`
}
