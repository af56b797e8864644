// Polling for a condition in tests and benchmarks: waits as long as needed up
// to a bound, never a fixed sleep.

/** Polls `condition` until it holds; fails after `ms`, naming `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 30_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/** Polls `condition` until it gives a value (not undefined or false) and returns it. */
export async function eventually<T>(what: string, condition: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await condition()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
