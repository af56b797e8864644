import { withNode } from './open-node.ts'
import type { CommandRun } from './usage.ts'

export const createAppKey: CommandRun = async ({ values, positionals }) => {
  const created = await withNode(values, async node => await node.createAppKey(positionals[0] ?? ''))
  process.stdout.write(values.json === true ? `${JSON.stringify(created)}\n` : `${created.key}\n`)
  return 0
}

export const listAppKeys: CommandRun = async ({ values }) => {
  const keys = await withNode(values, async node => await node.listAppKeys())
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(keys)}\n`)
  } else if (keys.length === 0) {
    process.stdout.write('no app-keys\n')
  } else {
    const width = Math.max(4, ...keys.map(key => key.name.length)) + 2
    const rows = keys.map(key => `${key.name.padEnd(width)}${key.id}  ${key.createdAt}`)
    process.stdout.write(`${[`${'NAME'.padEnd(width)}${'ID'.padEnd(18)}CREATED`, ...rows].join('\n')}\n`)
  }
  return 0
}

export const dropAppKey: CommandRun = async ({ values, positionals }) => {
  const dropped = await withNode(values, async node => await node.dropAppKey(positionals[0] ?? ''))
  process.stdout.write(`dropped app-key ${dropped.name} (${dropped.id})\n`)
  return 0
}
