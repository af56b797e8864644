// What the commands that ask a running daemon share: the call through the
// daemon's admin socket (a clear error when none runs), printing a result as
// a table or as JSON (--json), and a checked text option.
import { NoDaemonError, RemoteOps } from '../admin/remote-ops.ts'
import { dataDirPaths } from '../service/data-dir.ts'
import { configFrom } from './common-options.ts'
import { UsageError } from './usage.ts'
import type { OptionValues } from './usage.ts'

/** Runs `call` on the daemon of the command's data dir; when none runs, says so and what to do (`hint`). */
export async function withDaemon<T>(values: OptionValues, hint: string, call: (daemon: RemoteOps) => Promise<T>): Promise<T> {
  const { config } = await configFrom(values)
  const daemon = new RemoteOps(dataDirPaths(config.dataDir).adminSocket)
  try {
    return await call(daemon)
  } catch (err) {
    if (err instanceof NoDaemonError) throw new NoDaemonError(`no daemon is running on ${config.dataDir}: ${hint}`, { cause: err })
    throw err
  } finally {
    await daemon.close()
  }
}

/** Prints `json` with --json, else the table `text` makes; the command's exit code. */
export function printResult(values: OptionValues, json: unknown, text: () => string): number {
  process.stdout.write(values.json === true ? `${JSON.stringify(json)}\n` : text())
  return 0
}

/** The option's value when given; a usage error naming the option when it is not `what`. */
export function textOption(values: OptionValues, name: string, pattern: RegExp, what: string): string | undefined {
  const value = values[name]
  if (typeof value !== 'string') return undefined
  if (!pattern.test(value)) throw new UsageError(`--${name}: ${JSON.stringify(value.slice(0, 80))} is not ${what}`)
  return value
}
