// What `agora run` tells the person watching while it works, on stderr: a
// spinner line on a terminal, one plain line per step when piped, nothing with
// --json (a script reads the one document on stdout).
import type { Writable } from 'node:stream'

export interface RunProgress {
  /** A new step ("looking for a provider"). */
  step(text: string): void
  /** Clears the progress line before the command's own output is written. */
  pause(): void
  /** Stops for good (the summary follows). */
  stop(): void
}

export type ProgressMode = 'spinner' | 'lines' | 'silent'

export function progressMode(json: boolean, stream: { isTTY?: boolean }): ProgressMode {
  if (json) return 'silent'
  return stream.isTTY === true ? 'spinner' : 'lines'
}

/** The spinner is imported only on a terminal: a piped run loads nothing of it. */
export async function createProgress(mode: ProgressMode, stream: Writable & { isTTY?: boolean }): Promise<RunProgress> {
  if (mode === 'silent') return { step: () => {}, pause: () => {}, stop: () => {} }
  if (mode === 'lines') {
    return {
      step: text => {
        stream.write(`agora: ${text}\n`)
      },
      pause: () => {},
      stop: () => {}
    }
  }
  const { default: yoctoSpinner } = await import('yocto-spinner')
  // Our own SIGINT handler releases the rental: the spinner must not exit the process on its own.
  const spinner = yoctoSpinner({ stream, handleSignals: false })
  return {
    step: text => {
      if (spinner.isSpinning) spinner.text = text
      else spinner.start(text)
    },
    pause: () => {
      if (spinner.isSpinning) spinner.stop()
    },
    stop: () => {
      if (spinner.isSpinning) spinner.stop()
    }
  }
}
