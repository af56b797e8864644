// The node key on disk: an encrypted JSON keystore (Ethereum's V3 format, via
// ethers), created on first start. The passphrase comes from the caller
// (the daemon reads it from AGORA_KEY_PASSPHRASE; empty is for development).
import { scrypt as nativeScrypt } from 'node:crypto'
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Wallet, decryptKeystoreJson, encryptKeystoreJson, isKeystoreJson, scrypt } from 'ethers'
import { NodeKey } from './node-key.ts'
import { PUBLIC_IDENTITY_FIELD } from './public-identity.ts'
import type { PublicIdentity } from './public-identity.ts'

// ethers derives keystore keys with scrypt in plain JavaScript; Node's own is
// native and gives the same bytes many times faster (a standard-cost key
// opens in a fraction of the time), for every keystore this process opens.
scrypt.register(
  async (passwd, salt, N, r, p, dkLen) =>
    await new Promise((resolve, reject) => {
      nativeScrypt(passwd, salt, dkLen, { N, r, p, maxmem: 256 * N * r * p }, (err, key) => {
        if (err === null) resolve(new Uint8Array(key))
        else reject(err)
      })
    })
)

export interface KeystoreOptions {
  path: string
  passphrase: string
  /**
   * scrypt cost of a newly written keystore: 'standard' (N=2^17, ~1 s, for real
   * keys) or 'light' (N=2^12, for throw-away test and demo nodes).
   */
  cost?: 'standard' | 'light'
}

/** Loads the node key from the keystore, or creates and saves a new one. */
export async function loadOrCreateNodeKey(options: KeystoreOptions): Promise<{ key: NodeKey; created: boolean }> {
  let json: string
  try {
    json = await readFile(options.path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const key = NodeKey.random()
    // Two processes creating the key of one data dir at once (the CLI and a
    // starting daemon) must end with one key: the first to land it wins, the
    // other reads the winner's.
    if (await writeKeystore(key, options, 'keep')) return { key, created: true }
    json = await readFile(options.path, 'utf8')
  }
  return { key: await decryptNodeKey(json, options.passphrase, options.path), created: false }
}

export async function decryptNodeKey(json: string, passphrase: string, where = 'keystore'): Promise<NodeKey> {
  if (!isKeystoreJson(json)) throw new Error(`${where} is not an encrypted JSON keystore`)
  let account
  try {
    account = await decryptKeystoreJson(json, passphrase)
  } catch {
    throw new Error(`cannot decrypt ${where}: wrong passphrase (AGORA_KEY_PASSPHRASE) or damaged file`)
  }
  return new NodeKey(account.privateKey)
}

/** Writes the keystore, replacing any there. */
export async function saveNodeKey(key: NodeKey, options: KeystoreOptions): Promise<void> {
  await writeKeystore(key, options, 'replace')
}

// Written to a temporary file and synced, then moved into place, so a crash
// never leaves half a key behind. 'keep' leaves an existing keystore alone and
// resolves false.
async function writeKeystore(key: NodeKey, options: KeystoreOptions, existing: 'replace' | 'keep'): Promise<boolean> {
  const scrypt = options.cost === 'light' ? { N: 1 << 12 } : { N: 1 << 17 }
  const encrypted = JSON.parse(await encryptKeystoreJson({ address: key.nodeId, privateKey: key.exportPrivateKey() }, options.passphrase, { scrypt }))
  const identity: PublicIdentity = { nodeId: key.nodeId, peerId: key.peerId.toString() }
  const json = JSON.stringify({ ...encrypted, [PUBLIC_IDENTITY_FIELD]: identity })
  await mkdir(dirname(options.path), { recursive: true })
  const temporary = `${options.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  const file = await open(temporary, 'wx', 0o600)
  try {
    try {
      await file.writeFile(json, 'utf8')
      await file.sync()
    } finally {
      await file.close()
    }
    if (existing === 'replace') {
      await rename(temporary, options.path)
      return true
    }
    try {
      await link(temporary, options.path)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  } finally {
    await rm(temporary, { force: true })
  }
}

// The chain wallet of a node is its node key.
export function walletOf(key: NodeKey): Wallet {
  return new Wallet(key.exportPrivateKey())
}
