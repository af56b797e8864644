// Two NATs and a public segment in network namespaces, for tests that run
// nodes behind NATs (needs root, ip and iptables: scripts/netns-up.sh).
//
//   root ns  ── 10.N.0.254 ─┐
//   pub ns   ── 10.N.0.1 ── br0 ── 10.N.0.2 router A (MASQUERADE) 10.N.1.1 ── 10.N.1.2 node A
//                            └──── 10.N.0.3 router B (MASQUERADE) 10.N.2.1 ── 10.N.2.2 node B
//   root ns  ── 10.N.11.1 ── 10.N.11.2 node A (management: its REST API only)
//   root ns  ── 10.N.12.1 ── 10.N.12.2 node B (management)
//
// The routers forward only what their own side began (conntrack), drop what
// comes unasked to their own address, and the public segment has no route to
// either private one, as on the internet. The
// root namespace is one more host of the public segment (where the test's
// chain and HTTP servers answer), and does not forward: the management links
// reach the nodes' APIs and nothing else.
import { execFile } from 'node:child_process'

/** Every namespace and root-side link of a lab carries this prefix and its creator's pid. */
export const LAB_PREFIX = 'agora-nat'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command to its end; never throws for a non-zero exit. */
export async function run(command: string, args: string[]): Promise<CommandResult> {
  return await new Promise(resolve => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127
      resolve({ code, stdout, stderr: stderr === '' && error !== null ? error.message : stderr })
    })
  })
}

async function must(command: string, ...args: string[]): Promise<string> {
  const result = await run(command, args)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`)
  return result.stdout
}

export interface NatLab {
  /** Namespaces: the public segment, the two routers, the two nodes. */
  readonly ns: { readonly pub: string; readonly routerA: string; readonly routerB: string; readonly a: string; readonly b: string }
  readonly ip: {
    /** The root namespace on the public segment. */
    readonly root: string
    readonly pub: string
    readonly a: string
    readonly b: string
    /** The nodes' management addresses (their REST APIs). */
    readonly apiA: string
    readonly apiB: string
  }
  /** `ip netns exec <namespace>`: the prefix that runs a command inside it. */
  exec: (namespace: string) => string[]
  /** Removes every namespace and link; idempotent, never throws. */
  destroy: () => Promise<void>
}

/**
 * Whether this machine refuses network namespaces (not root, no
 * CAP_SYS_ADMIN): the reason, or undefined when one can be made.
 */
export async function netnsRefusal(): Promise<string | undefined> {
  const probe = `${LAB_PREFIX}-${process.pid}-probe`
  const made = await run('ip', ['netns', 'add', probe])
  if (made.code === 0) {
    await run('ip', ['netns', 'del', probe])
    return undefined
  }
  if (/Operation not permitted|Permission denied|EPERM|EACCES/i.test(made.stderr)) return `this machine refuses \`ip netns add\`: ${made.stderr.trim()}`
  throw new Error(`ip netns add failed: ${made.stderr.trim()}`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes the namespaces and links of labs whose creating process is gone (a crashed run). */
export async function removeLeftoverLabs(): Promise<string[]> {
  const removed: string[] = []
  const names = (await must('ip', 'netns', 'list')).split('\n').map(line => line.split(' ')[0] ?? '')
  for (const name of names) {
    const match = new RegExp(`^${LAB_PREFIX}-(\\d+)-`).exec(name)
    if (match === null || alive(Number(match[1]))) continue
    await run('ip', ['netns', 'del', name])
    removed.push(name)
  }
  const links = (await must('ip', '-o', 'link', 'show')).split('\n')
  for (const line of links) {
    const match = /^\d+:\s+(an(\d+)[a-z])[@:]/.exec(line)
    if (match === null || alive(Number(match[2]))) continue
    await run('ip', ['link', 'del', match[1]!])
    removed.push(match[1]!)
  }
  return removed
}

/** A second octet for this run's addresses, away from a parallel run's (its pid differs). */
function subnetOf(pid: number): number {
  return 100 + (pid % 100)
}

export async function createNatLab(): Promise<NatLab> {
  const pid = process.pid
  const base = `${LAB_PREFIX}-${pid}`
  const ns = { pub: `${base}-pub`, routerA: `${base}-ra`, routerB: `${base}-rb`, a: `${base}-a`, b: `${base}-b` }
  const n = subnetOf(pid)
  const ip = { root: `10.${n}.0.254`, pub: `10.${n}.0.1`, a: `10.${n}.1.2`, b: `10.${n}.2.2`, apiA: `10.${n}.11.2`, apiB: `10.${n}.12.2` }
  // Root-side links: short names (15 characters at most), tied to this pid.
  const rootLinks = { pub: `an${pid}p`, a: `an${pid}a`, b: `an${pid}b` }
  const destroy = async (): Promise<void> => {
    for (const link of Object.values(rootLinks)) await run('ip', ['link', 'del', link])
    for (const name of Object.values(ns)) await run('ip', ['netns', 'del', name])
  }
  const inNs = (name: string, ...args: string[]): Promise<string> => must('ip', '-n', name, ...args)
  const execIn = (name: string, ...args: string[]): Promise<string> => must('ip', 'netns', 'exec', name, ...args)
  try {
    for (const name of Object.values(ns)) {
      await must('ip', 'netns', 'add', name)
      await inNs(name, 'link', 'set', 'lo', 'up')
    }
    // The public segment: a bridge in the pub namespace, the root namespace on it.
    await inNs(ns.pub, 'link', 'add', 'br0', 'type', 'bridge')
    await inNs(ns.pub, 'addr', 'add', `${ip.pub}/24`, 'dev', 'br0')
    await inNs(ns.pub, 'link', 'set', 'br0', 'up')
    await must('ip', 'link', 'add', rootLinks.pub, 'type', 'veth', 'peer', 'name', 'root0', 'netns', ns.pub)
    await inNs(ns.pub, 'link', 'set', 'root0', 'master', 'br0', 'up')
    await must('ip', 'addr', 'add', `${ip.root}/24`, 'dev', rootLinks.pub)
    await must('ip', 'link', 'set', rootLinks.pub, 'up')
    for (const [side, router, node, k, apiIp, rootLink] of [
      ['a', ns.routerA, ns.a, 1, ip.apiA, rootLinks.a],
      ['b', ns.routerB, ns.b, 2, ip.apiB, rootLinks.b]
    ] as const) {
      await inNs(ns.pub, 'link', 'add', `wan${side}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router)
      await inNs(ns.pub, 'link', 'set', `wan${side}`, 'master', 'br0', 'up')
      await inNs(router, 'addr', 'add', `10.${n}.0.${1 + k}/24`, 'dev', 'wan')
      await inNs(router, 'link', 'set', 'wan', 'up')
      await inNs(router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node)
      await inNs(router, 'addr', 'add', `10.${n}.${k}.1/24`, 'dev', 'lan')
      await inNs(router, 'link', 'set', 'lan', 'up')
      await inNs(node, 'addr', 'add', `10.${n}.${k}.2/24`, 'dev', 'eth0')
      await inNs(node, 'link', 'set', 'eth0', 'up')
      await inNs(node, 'route', 'add', 'default', 'via', `10.${n}.${k}.1`)
      await execIn(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
      await execIn(router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE')
      await execIn(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
      await execIn(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-j', 'DROP')
      // Nor does it answer what comes unasked to its own address, as a home
      // router's firewall does: dropped before conntrack records it, so that a
      // packet arriving ahead of the inside node's own (a hole being punched)
      // leaves no entry to clash with the mapping that node's packet then needs.
      await execIn(router, 'iptables', '-A', 'INPUT', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
      await execIn(router, 'iptables', '-A', 'INPUT', '-i', 'wan', '-j', 'DROP')
      // Management: the root namespace reaches the node's API, and nothing is forwarded.
      await must('ip', 'link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', node)
      await must('ip', 'addr', 'add', `10.${n}.${10 + k}.1/24`, 'dev', rootLink)
      await must('ip', 'link', 'set', rootLink, 'up')
      await inNs(node, 'addr', 'add', `${apiIp}/24`, 'dev', 'mgmt0')
      await inNs(node, 'link', 'set', 'mgmt0', 'up')
    }
  } catch (err) {
    await destroy()
    throw err
  }
  return { ns, ip, exec: name => ['ip', 'netns', 'exec', name], destroy }
}
