// The CLI reference (docs/cli-reference.md), rendered from the command table
// itself, so the page says exactly what `agora <command> --help` says.
import type { Command } from './usage.ts'
import { HELP_OPTION } from './usage.ts'

export const CLI_REFERENCE_FILE = 'docs/cli-reference.md'

function cell(text: string): string {
  return text.replaceAll('|', '\\|')
}

function usageOf(command: Command): string {
  return ['agora', ...command.words, ...command.args].join(' ')
}

function anchorOf(command: Command): string {
  return usageOf(command)
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replaceAll(' ', '-')
}

function commandSection(command: Command): string[] {
  const lines = [`## \`${usageOf(command)}\``, '', command.summary, '', '| option | meaning |', '|---|---|']
  for (const [name, spec] of Object.entries({ ...command.options, help: HELP_OPTION })) {
    const flag = `--${name}${spec.value === undefined ? '' : ` ${spec.value}`}${name === 'help' ? ', -h' : ''}`
    lines.push(`| \`${flag}\` | ${cell(spec.description)}${spec.multiple === true ? ' (repeatable)' : ''} |`)
  }
  lines.push('')
  return lines
}

/** The whole page, with a table of contents, one section per command, in the table's order. */
export function renderCliReference(commands: readonly Command[], environment: string): string {
  const lines = [
    '# CLI reference',
    '',
    '<!-- Generated from daemon/cli/commands.ts by `npm run docs:cli`; do not edit by hand (a test fails when they differ). -->',
    '',
    'Every command of `agora`, its summary and its options, as `agora <command> --help` prints them.',
    'The guide to the command line is [cli.md](cli.md).',
    '',
    '| command | does |',
    '|---|---|'
  ]
  for (const command of commands) {
    const firstSentence = (command.summary.split('. ')[0] ?? '').replace(/\.$/, '')
    lines.push(`| [\`${usageOf(command)}\`](#${anchorOf(command)}) | ${cell(firstSentence)} |`)
  }
  lines.push('', 'Exit codes: `0` done, `1` failed, `2` bad usage or a bad config value.', '')
  for (const command of commands) lines.push(...commandSection(command))
  lines.push('## Environment', '', '```', environment.trimEnd(), '```', '')
  return lines.join('\n')
}
