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
  if (status.reachability !== null) {
    const { status: reach, relays, direct, relayed } = status.reachability
    lines.push(`reachable  ${reachabilityText(reach)}`)
    for (const relay of relays) lines.push(`relay      ${relay}`)
    lines.push(`peers      ${direct} direct, ${relayed} through a relay`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}

function reachabilityText(status: 'public' | 'private' | 'unknown'): string {
  switch (status) {
    case 'public':
      return 'public (a public address was confirmed dialable)'
    case 'private':
      return 'private (behind a NAT or on a private network: reached through relays)'
    case 'unknown':
      return 'unknown (a public address is not confirmed yet)'
  }
}
