// The part of a GVMI's container config (Docker's ContainerConfig, as
// gvmkit-build copies it from the source image) that the vm runtime honours:
// Entrypoint, Cmd, Env, WorkingDir and Volumes. Everything else (User, Labels,
// ExposedPorts, Healthcheck …) is ignored. The checked values become the
// Dockerfile instructions `docker import` applies to the imported image.
import { posix } from 'node:path'
import { bad } from './trailer.ts'

export interface GvmiConfig {
  entrypoint: string[]
  cmd: string[]
  /** NAME=value entries. */
  env: string[]
  /** Absolute path, or null for the root directory. */
  workingDir: string | null
  /** Absolute paths the image declares as volumes. */
  volumes: string[]
}

const MAX_ENTRIES = 1024
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/

export function readConfig(input: unknown): GvmiConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('its metadata is not a JSON object')
  const config = input as Record<string, unknown>
  const env = strings(config.Env, 'Env')
  env.forEach((entry, index) => {
    const name = entry.slice(0, Math.max(entry.indexOf('='), 0))
    if (!ENV_NAME.test(name)) throw bad(`its metadata Env[${index}] is not NAME=value with a plain NAME`)
  })
  const volumes = config.Volumes === undefined || config.Volumes === null ? [] : volumeList(config.Volumes)
  const workingDir =
    config.WorkingDir === undefined || config.WorkingDir === null || config.WorkingDir === '' ? null : absolute(config.WorkingDir, 'WorkingDir')
  return { entrypoint: strings(config.Entrypoint, 'Entrypoint'), cmd: strings(config.Cmd, 'Cmd'), env, workingDir, volumes }
}

/** The config as `docker import` changes (Dockerfile instructions; JSON forms where they exist). */
export function importChanges(config: GvmiConfig): string[] {
  const changes = config.env.map(entry => {
    const at = entry.indexOf('=')
    return `ENV ${entry.slice(0, at)}=${quoted(entry.slice(at + 1))}`
  })
  if (config.workingDir !== null) changes.push(`WORKDIR ${quoted(config.workingDir)}`)
  if (config.volumes.length > 0) changes.push(`VOLUME ${JSON.stringify(config.volumes)}`)
  // ENTRYPOINT before CMD: a later ENTRYPOINT would clear the CMD.
  if (config.entrypoint.length > 0) changes.push(`ENTRYPOINT ${JSON.stringify(config.entrypoint)}`)
  if (config.cmd.length > 0) changes.push(`CMD ${JSON.stringify(config.cmd)}`)
  return changes
}

/** A double-quoted Dockerfile word: the value exactly, with no variable expansion. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"$]/g, character => `\\${character}`)}"`
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) throw bad(`its metadata ${field} is not a list of at most ${MAX_ENTRIES} strings`)
  return value.map((item, index) => {
    if (typeof item !== 'string') throw bad(`its metadata ${field}[${index}] is not a string`)
    if (CONTROL.test(item)) throw bad(`its metadata ${field}[${index}] holds a control character`)
    return item
  })
}

function volumeList(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('its metadata Volumes is not an object of paths')
  const paths = Object.keys(value)
  if (paths.length > MAX_ENTRIES) throw bad(`its metadata names more than ${MAX_ENTRIES} volumes`)
  return paths.map(path => absolute(path, 'Volumes'))
}

function absolute(value: unknown, field: string): string {
  if (typeof value !== 'string' || !posix.isAbsolute(value) || CONTROL.test(value)) {
    throw bad(`its metadata ${field} ${JSON.stringify(value).slice(0, 100)} is not an absolute path`)
  }
  return posix.normalize(value)
}
