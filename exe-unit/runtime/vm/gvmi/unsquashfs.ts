// Debian's unsquashfs (squashfs-tools), run without a shell: first a listing
// that counts entries and bytes against the bounds, then the extraction.
// scripts/squashfs-up.sh installs it.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { ExeUnitError } from '../../../errors.ts'
import { bad } from './trailer.ts'

/** One `-lln` line: mode, uid/gid, size (or "major, minor" for devices), date, time, name. */
const LISTING = /^([-dlcbps])\S{9} \d+\/\d+\s+(\d+|\d+,\s*\d+) \d{4}-\d\d-\d\d \d\d:\d\d /

export interface UnpackBounds {
  maxBytes: number
  maxFiles: number
}

export interface Listing {
  files: number
  bytes: number
}

/** 4.5.1 fixes unsquashfs writing outside its destination through crafted names and symlinks (CVE-2021-40153, CVE-2021-41072). */
const SAFE_VERSION = [4, 5, 1]

/** Checks the command is there and new enough to unpack untrusted images. */
export async function checkUnsquashfs(command: string): Promise<void> {
  const child = spawn(command, ['-version'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const done = exited(child)
  done.catch(() => {}) // awaited below, after the output is read
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(0, 4096)
  })
  await done
  const version = /unsquashfs version (\d+)\.(\d+)(?:\.(\d+))?/.exec(output)
  if (version === null) throw new ExeUnitError('Unavailable', "GVMI packages need unsquashfs, and this provider's does not tell its version")
  const parts = [Number(version[1]), Number(version[2]), Number(version[3] ?? 0)]
  const older = parts.findIndex((part, index) => part !== SAFE_VERSION[index])
  if (older !== -1 && (parts[older] as number) < (SAFE_VERSION[older] as number)) {
    throw new ExeUnitError('Unavailable', `GVMI packages need unsquashfs ${SAFE_VERSION.join('.')} or newer; this provider has ${parts.join('.')}`)
  }
}

/** Counts the image's entries and the bytes of its regular files, stopping as soon as a bound is passed. */
export async function listImage(command: string, image: string, bounds: UnpackBounds, signal: AbortSignal): Promise<Listing> {
  const child = spawn(command, ['-lln', '-UTC', image], { stdio: ['ignore', 'pipe', 'pipe'], signal })
  const done = exited(child)
  done.catch(() => {}) // awaited below, after the output is read
  const stderr = capture(child)
  const listing: Listing = { files: 0, bytes: 0 }
  let passed: ExeUnitError | null = null
  // A name holding a newline adds a line that may look like an entry: that only overcounts.
  for await (const line of createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })) {
    const match = LISTING.exec(line)
    if (match === null) continue
    listing.files++
    if (match[1] === '-') listing.bytes += Number(match[2])
    if (listing.files > bounds.maxFiles) passed = bad(`it holds more than ${bounds.maxFiles} files`)
    else if (listing.bytes > bounds.maxBytes) passed = bad(`it unpacks to more than ${bounds.maxBytes} bytes`)
    if (passed !== null) {
      child.kill('SIGKILL')
      break
    }
  }
  const code = await done
  if (passed !== null) throw passed
  if (code !== 0) throw bad('its squashfs image cannot be read', stderr())
  return listing
}

/** Unpacks the image into `dest` (which must not exist yet). */
export async function extractImage(command: string, image: string, dest: string, signal: AbortSignal): Promise<void> {
  const child = spawn(command, ['-no-progress', '-quiet', '-no-xattrs', '-strict-errors', '-d', dest, image], { stdio: ['ignore', 'ignore', 'pipe'], signal })
  const done = exited(child)
  done.catch(() => {}) // awaited below, after the output is read
  const stderr = capture(child)
  if ((await done) !== 0) throw bad('its squashfs image does not unpack', stderr())
}

/** The last few KiB of the process's stderr, for the provider's log. */
function capture(child: ChildProcess): () => string {
  let text = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text = (text + chunk).slice(-4096)
  })
  return () => text.trim()
}

/** Resolves with the exit code; listens at once, so that a missing command is not an unhandled error. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', error => {
      // Aborted (the activity went away): the process is killed, and the abort is the answer.
      if (error.name === 'AbortError') {
        reject(error)
        return
      }
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      reject(
        new ExeUnitError(
          'Unavailable',
          missing ? 'GVMI packages need unsquashfs, which this provider lacks (squashfs-tools)' : 'unsquashfs could not be started on this provider',
          { cause: error }
        )
      )
    })
    child.once('close', code => resolve(code))
  })
}
