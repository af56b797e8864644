// ExeScript as the exe-unit runs it: the commands of a batch after parsing,
// with defaults filled in. The wire shapes are Golem's (activity-api.yaml).

export type CaptureFormat = 'str' | 'bin'

/** Which bytes of an output to keep when it is returned at the end. */
export type CapturePart = { head: number } | { tail: number } | { headTail: number }

export type CaptureMode = { atEnd: { part?: CapturePart; format: CaptureFormat } } | { stream: { limit?: number; format: CaptureFormat } }

/** Per output stream: how it is captured, or null when it is discarded. */
export interface Capture {
  stdout: CaptureMode | null
  stderr: CaptureMode | null
}

export interface DeployCommand {
  kind: 'deploy'
}
export interface StartCommand {
  kind: 'start'
  args: string[]
}
export interface RunCommand {
  kind: 'run'
  entryPoint: string
  args: string[]
  /** Variables set for this command only, on top of the image's own. */
  env: Record<string, string>
  capture: Capture
}
export interface TransferCommand {
  kind: 'transfer'
  from: string
  to: string
}
export interface SignCommand {
  kind: 'sign'
}
export interface TerminateCommand {
  kind: 'terminate'
}

export type Command = DeployCommand | StartCommand | RunCommand | TransferCommand | SignCommand | TerminateCommand

export type CommandKind = Command['kind']

/** A parsed command together with the JSON it came from (echoed in `started` events). */
export interface ScriptCommand<C extends Command = Command> {
  command: C
  wire: Record<string, unknown>
}

export interface ExeScriptLimits {
  /** Most commands in one batch. */
  maxCommands: number
  /** Largest script text, in bytes. */
  maxScriptBytes: number
  /** Most arguments of one run/start command. */
  maxArgs: number
  /** Longest single argument, entry point or transfer URL, in bytes. */
  maxArgBytes: number
  /** Largest capture size (head/tail/headTail/limit) a script may ask for, in bytes. */
  maxCaptureBytes: number
  /** Most environment variables of one run command. */
  maxEnvVars: number
  /** Longest environment variable name, in bytes. */
  maxEnvNameBytes: number
  /** Longest environment variable value, in bytes. */
  maxEnvValueBytes: number
  /** Largest environment of one run command, counted as NAME=value entries with their terminating NUL. */
  maxEnvBytes: number
}

export const DEFAULT_EXESCRIPT_LIMITS: ExeScriptLimits = {
  maxCommands: 100,
  maxScriptBytes: 1024 * 1024,
  maxArgs: 1024,
  maxArgBytes: 64 * 1024,
  maxCaptureBytes: 16 * 1024 * 1024,
  maxEnvVars: 256,
  maxEnvNameBytes: 1024,
  maxEnvValueBytes: 64 * 1024,
  // Linux refuses an exec whose arguments and environment pass ARG_MAX (2 MiB by default).
  maxEnvBytes: 256 * 1024
}
