// A policy file's text → the policy it states, or a clear error naming what
// is wrong. The file is JSON; whole lines starting with "//" are comments
// (JSON strings cannot hold a line break, so such a line is never inside one).
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { CodedError } from '../../net/kernel.ts'
import type { DatasetPolicy } from '../model.ts'
import { DATASET_NAME_PATTERN, policyValidator } from './schema.ts'

/** A policy file larger than this is refused unread. */
export const MAX_POLICY_BYTES = 1_048_576
const DATASET = new RegExp(DATASET_NAME_PATTERN)
const COMMENT_LINE = /^[ \t]*\/\/.*$/gm

/** The dataset a file in the policies directory is for, or null when the name is not <dataset>.json. */
export function datasetOfFile(fileName: string): string | null {
  if (!fileName.endsWith('.json')) return null
  const dataset = fileName.slice(0, -'.json'.length)
  return DATASET.test(dataset) ? dataset : null
}

export const sha3Of = (bytes: Uint8Array): string => bytesToHex(sha3_256(bytes))

/** Parses and checks a policy for `dataset`; throws a CodedError (BadRequest) saying what is wrong. */
export function parsePolicy(bytes: Uint8Array, dataset: string): DatasetPolicy {
  if (bytes.byteLength > MAX_POLICY_BYTES) throw new CodedError('BadRequest', `policy is ${bytes.byteLength} bytes, more than ${MAX_POLICY_BYTES}`)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(COMMENT_LINE, ''))
  } catch (err) {
    throw new CodedError('BadRequest', `policy is not JSON: ${(err as Error).message}`)
  }
  const policy = policyValidator.parse(value) as DatasetPolicy
  if (policy.dataset !== dataset) throw new CodedError('BadRequest', `policy at /dataset: "${policy.dataset}" is not the file's dataset "${dataset}"`)
  const window = policy.window
  if (window?.from !== undefined && window.until !== undefined && Date.parse(window.from) >= Date.parse(window.until)) {
    throw new CodedError('BadRequest', 'policy at /window: from must be before until')
  }
  if (window?.hoursUtc !== undefined && window.hoursUtc[0] === window.hoursUtc[1]) {
    throw new CodedError('BadRequest', 'policy at /window/hoursUtc: from and until must differ (leave hoursUtc out for every hour)')
  }
  return policy
}
