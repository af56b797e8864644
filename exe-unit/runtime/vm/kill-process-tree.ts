// Kills a command run by `docker exec` together with the processes it
// started. The engine reports the command's host PID; its descendants are
// found through /proc (the engine runs on this host).
import { readFile, readdir } from 'node:fs/promises'

async function children(pid: number): Promise<number[]> {
  const found: number[] = []
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')
    for (const child of text.split(/\s+/)) if (child !== '') found.push(Number(child))
  }
  return found
}

/** Returns whether any process was signalled. */
export async function killProcessTree(pid: number): Promise<boolean> {
  const all: number[] = []
  const queue = [pid]
  while (queue.length > 0 && all.length < 10_000) {
    const next = queue.shift() as number
    all.push(next)
    queue.push(...(await children(next)))
  }
  let killed = false
  for (const target of all) {
    try {
      process.kill(target, 'SIGKILL')
      killed = true
    } catch {}
  }
  return killed
}
