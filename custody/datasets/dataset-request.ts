// What the owner asks when registering a dataset, checked whole before
// anything is read or written: the name, the source (absolute paths on the
// owner's machine), the description, the tags and the prices.
import { isAbsolute } from 'node:path'
import { CodedError } from '../../net/kernel.ts'
import type { DatasetPrice } from '../model.ts'
import { MAX_VIEW_CHARS } from './sqlite-import.ts'

export const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
/** A decimal token amount: no sign, no exponent, at most the token's 18 decimals. */
export const TOKEN_AMOUNT = /^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const TAG = /^[^\u0000-\u001f\u007f,]{1,64}$/
const MAX_TAGS = 32
const MAX_DESCRIPTION = 1000

export type DatasetSource =
  | { readonly kind: 'csv'; readonly path: string }
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'sqlite'; readonly path: string; readonly view: string }

export interface AddDatasetRequest {
  readonly name: string
  readonly source: DatasetSource
  readonly description?: string
  readonly tags?: readonly string[]
  readonly price?: Partial<DatasetPrice>
}

export interface CheckedRequest {
  readonly name: string
  readonly source: DatasetSource
  readonly description: string
  readonly tags: readonly string[]
  readonly price: DatasetPrice
}

export function checkName(name: string): string {
  if (!DATASET_NAME.test(name)) {
    throw new CodedError(
      'BadRequest',
      `dataset name ${JSON.stringify(name.slice(0, 80))}: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64`
    )
  }
  return name
}

export function checkRequest(request: AddDatasetRequest): CheckedRequest {
  const name = checkName(request.name)
  const source = request.source
  if (!isAbsolute(source.path)) throw new CodedError('BadRequest', `--${source.kind}: the path must be absolute (the CLI resolves it against its directory)`)
  if (source.kind === 'sqlite' && (source.view.trim() === '' || source.view.length > MAX_VIEW_CHARS)) {
    throw new CodedError('BadRequest', `--view: the owner's SELECT is required (at most ${MAX_VIEW_CHARS} characters)`)
  }
  const description = request.description ?? ''
  if (description.length > MAX_DESCRIPTION) throw new CodedError('BadRequest', `--description: longer than ${MAX_DESCRIPTION} characters`)
  const tags = [...new Set(request.tags ?? [])]
  if (tags.length > MAX_TAGS) throw new CodedError('BadRequest', `--tag: more than ${MAX_TAGS} tags`)
  for (const tag of tags) {
    if (!TAG.test(tag)) throw new CodedError('BadRequest', `--tag ${JSON.stringify(tag.slice(0, 80))}: 1 to 64 characters, no commas or control characters`)
  }
  const price = { perUse: amount(request.price?.perUse, 'price-per-use'), perHour: amount(request.price?.perHour, 'price-per-hour') }
  return { name, source, description, tags, price }
}

function amount(text: string | undefined, option: string): string {
  if (text === undefined) return '0'
  if (!TOKEN_AMOUNT.test(text))
    throw new CodedError('BadRequest', `--${option}: ${JSON.stringify(text.slice(0, 80))} is not a token amount such as 0.5 (at most 18 decimals)`)
  return text
}
