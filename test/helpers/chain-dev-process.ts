// `agora chain dev` as a child process, as a user runs it: started with
// --json, ready once it printed what runs. Tracked like every CLI child, so
// `reapChildren()` ends it whatever a test did.
import { readFile } from 'node:fs/promises'
import type { ChildProcess } from 'node:child_process'
import { MAIN, spawnAgora } from './agora-process.ts'

export interface ChainDevInfo {
  networkFile: string
  rpcUrl: string
  chainId: number
  contracts: { token: string; escrow: string; payouts: string }
  deployed: boolean
  platform: string
  aliases: string[]
}

export interface ChainDevProcess {
  child: ChildProcess
  info: ChainDevInfo
  exited: Promise<number | null>
  stderr: () => string
  /** The anvil process it runs. */
  chainPid: () => Promise<number>
  /** The process that kills that chain once the command is gone. */
  watchPid: () => Promise<number>
}

/** Spawns `agora chain dev --json --data-dir dir …` and waits until it printed its network. */
export async function startChainDev(dir: string, args: string[] = [], main = MAIN): Promise<ChainDevProcess> {
  const child = spawnAgora(['chain', 'dev', '--json', '--data-dir', dir, ...args], {}, main)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const info = await new Promise<ChainDevInfo>((resolve, reject) => {
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const end = stdout.indexOf('\n')
      if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)) as ChainDevInfo)
    })
    void exited.then(code => reject(new Error(`agora chain dev exited with ${code} first: ${stderr}`)))
  })
  // Its two children: the chain and the chain's watch (a node process).
  const childNamed = async (isChain: boolean): Promise<number> => {
    const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean)
    const found: number[] = []
    for (const pid of children) {
      const argv0 = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? ''
      if (/(^|\/)anvil(\.exe)?$/.test(argv0) === isChain) found.push(Number(pid))
    }
    if (found.length !== 1) throw new Error(`agora chain dev has ${found.length} ${isChain ? 'chains' : 'watches'}, not 1`)
    return found[0]!
  }
  return { child, info, exited, stderr: () => stderr, chainPid: () => childNamed(true), watchPid: () => childNamed(false) }
}
