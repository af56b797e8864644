import { withNode } from './open-node.ts'
import type { CommandRun } from './usage.ts'

export const showId: CommandRun = async ({ values }) => {
  const status = await withNode(values, async node => await node.status())
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(status)}\n`)
    return 0
  }
  const lines = [`node id    ${status.nodeId}`, `peer id    ${status.peerId}`, `daemon     ${status.running ? 'running' : 'not running'}`]
  if (status.apiUrl !== null) lines.push(`api        ${status.apiUrl}`)
  for (const address of status.addresses) lines.push(`listening  ${address}`)
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}
