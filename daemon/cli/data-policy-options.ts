// The options of `agora data policy|audit|manifest`: plain data, so that help
// and usage errors need nothing else loaded.
import { DATA_OPTIONS, JSON_OPTION } from './options.ts'
import type { OptionSpec } from './usage.ts'

export const POLICY_OPTIONS: Record<string, OptionSpec> = { ...DATA_OPTIONS, ...JSON_OPTION }

export const POLICY_CHECK_OPTIONS: Record<string, OptionSpec> = {
  ...POLICY_OPTIONS,
  requester: { type: 'string', value: 'NODE_ID', description: 'the requester asking' },
  algorithm: { type: 'string', value: 'HASH', description: 'the algorithm: sha3:<hex>, sha256:<hex>, or its task package hash:sha3:<hex>:<url>' },
  manifest: { type: 'string', value: 'FILE', description: 'a signed algorithm manifest (JSON), as the demand would carry it' }
}

export const AUDIT_OPTIONS: Record<string, OptionSpec> = {
  ...POLICY_OPTIONS,
  dataset: { type: 'string', value: 'NAME', description: 'only the entries about this dataset' },
  kind: { type: 'string', value: 'KIND', description: 'only entries of this kind (decision, run, release, refusal, policy-loaded, …)' },
  limit: { type: 'string', value: 'N', description: 'the newest N entries that match (default 100)' },
  verify: { type: 'boolean', description: 'check the whole hash chain instead (exit 1 when broken)' }
}

export const MANIFEST_SIGN_OPTIONS: Record<string, OptionSpec> = {
  ...DATA_OPTIONS,
  name: { type: 'string', value: 'NAME', description: "the algorithm's name" },
  version: { type: 'string', value: 'VERSION', description: "the algorithm's version" },
  hash: { type: 'string', value: 'HASH', description: 'its content hash: sha3:<hex>, sha256:<hex>, or its task package hash:sha3:<hex>:<url>' },
  output: { type: 'string', multiple: true, value: 'KIND', description: 'an output kind it writes (aggregate, histogram, vector, model, table, text)' }
}

export const MANIFEST_VERIFY_OPTIONS: Record<string, OptionSpec> = { ...JSON_OPTION }
