// Algorithm manifests signed by their publisher's node key: the signature is
// an envelope signature (net/) over the canonical JSON of every other field,
// under a type of its own, so a manifest's signature never passes for an
// offer's or an agreement's and the reverse.
import { ENVELOPE_VERSION, signEnvelope, verifyEnvelope } from '../../net/index.ts'
import type { NodeId, NodeKey } from '../../net/index.ts'
import type { AlgorithmManifest, OutputKind } from '../model.ts'
import { manifestValidator } from './schema.ts'

export const MANIFEST_TYPE = 'agora.algorithm-manifest'

export interface ManifestFields {
  readonly name: string
  readonly version: string
  readonly hash: string
  readonly outputs?: readonly OutputKind[]
}

export function signManifest(key: NodeKey, fields: ManifestFields): AlgorithmManifest {
  const payload = { ...unsigned(fields), publisher: key.nodeId }
  // Checked before signing, so that nothing is signed that a verifier would refuse.
  const manifest = { ...payload, signature: signEnvelope(key, MANIFEST_TYPE, payload).sig }
  return manifestValidator.parse(manifest)
}

export type ManifestCheck = { readonly ok: true; readonly publisher: NodeId } | { readonly ok: false; readonly why: string }

/** Whether `value` is a well-formed manifest whose signature is its publisher's. Never throws. */
export function checkManifest(value: unknown): ManifestCheck {
  if (!manifestValidator.check(value)) {
    try {
      manifestValidator.parse(value)
    } catch (err) {
      return { ok: false, why: (err as Error).message }
    }
  }
  const manifest = value as AlgorithmManifest
  const { signature, ...payload } = manifest
  try {
    const signer = verifyEnvelope({ v: ENVELOPE_VERSION, type: MANIFEST_TYPE, signer: manifest.publisher, payload, sig: signature }, MANIFEST_TYPE)
    return { ok: true, publisher: signer }
  } catch {
    return { ok: false, why: `the manifest's signature is not ${manifest.publisher}'s` }
  }
}

/** A manifest as a demand carries it in agora.data.manifest: its canonical JSON text, or the object itself. */
export function manifestFromProperty(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

function unsigned(fields: ManifestFields): ManifestFields {
  return {
    name: fields.name,
    version: fields.version,
    hash: fields.hash,
    ...(fields.outputs === undefined ? {} : { outputs: fields.outputs })
  }
}
