// A node's public identity, kept in clear beside the encrypted key in its
// keystore file (an extra `x-agora` field, which keystore readers ignore), so
// that showing who a node is needs neither the passphrase nor the crypto
// libraries: `agora id show` reads it without decrypting anything.
import { readFile } from 'node:fs/promises'

export interface PublicIdentity {
  nodeId: string
  peerId: string
}

export const PUBLIC_IDENTITY_FIELD = 'x-agora'

/** The identity a keystore file names, or null where it names none (older keystores) or is not one. */
export async function readPublicIdentity(path: string): Promise<PublicIdentity | null> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const { address, [PUBLIC_IDENTITY_FIELD]: identity } = parsed as { address?: unknown; [PUBLIC_IDENTITY_FIELD]?: unknown }
  if (typeof identity !== 'object' || identity === null) return null
  const { nodeId, peerId } = identity as Partial<Record<keyof PublicIdentity, unknown>>
  if (typeof nodeId !== 'string' || typeof peerId !== 'string') return null
  // The keystore's own clear address must agree, so an edited identity is not believed.
  if (typeof address !== 'string' || `0x${address}`.toLowerCase() !== nodeId.toLowerCase()) return null
  // Keystores of earlier versions name the node in the checksum form.
  return { nodeId: nodeId.toLowerCase(), peerId }
}
