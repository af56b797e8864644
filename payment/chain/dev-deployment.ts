// The contracts on a dev chain, deployed once: the first start deploys the
// test token, the escrow and the payouts contract from one dev account (its
// nonces 0, 1 and 2, sent together so a chain with a block time mines them in
// one block) and records where they are and a hash of each one's code. Later
// starts read the record and check that the chain holds that code there.
import { createHash } from 'node:crypto'
import type { InterfaceAbi } from 'ethers'
import { deadlineSignal } from '../../net/kernel.ts'
import { type ContractArtifact, escrowArtifact, payoutsArtifact, testTokenArtifact } from '../contracts/artifacts.ts'
import type { DeployedContracts } from '../contracts/deploy.ts'
import { ChainError } from './chain-error.ts'
import { jsonRpcCall } from './json-rpc.ts'

/** The dev account that deploys the contracts (its keys are public: dev chains only). */
export const DEPLOYER_ACCOUNT = 0

export interface DeploymentRecord {
  version: 1
  chainId: number
  deployer: string
  token: { address: string; codeSha256: string }
  escrow: { address: string; codeSha256: string }
  payouts: { address: string; codeSha256: string }
}

const CONTRACTS = [
  ['token', testTokenArtifact],
  ['escrow', escrowArtifact],
  ['payouts', payoutsArtifact]
] as const satisfies ReadonlyArray<readonly [keyof DeployedContracts, ContractArtifact]>

const RPC_TIMEOUT_MS = 10_000

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const CODE_HASH = /^[0-9a-f]{64}$/

/**
 * Parses a stored record; BadRequest naming what is wrong. Checked by hand:
 * a few fields do not need the schema compiler, which would slow the
 * command's start.
 */
export function parseDeploymentRecord(text: string, where: string): DeploymentRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ChainError('BadRequest', `${where} is not JSON`)
  }
  const bad = (field: string): never => {
    throw new ChainError('BadRequest', `${where}: ${field} is missing or not valid`)
  }
  const record = (typeof value === 'object' && value !== null ? value : bad('the record')) as Record<string, unknown>
  const known = new Set(['version', 'chainId', 'deployer', ...CONTRACTS.map(([name]) => name)])
  for (const key of Object.keys(record)) if (!known.has(key)) bad(key)
  if (record.version !== 1) bad('version')
  if (!(Number.isSafeInteger(record.chainId) && (record.chainId as number) >= 1)) bad('chainId')
  if (typeof record.deployer !== 'string' || !ADDRESS.test(record.deployer)) bad('deployer')
  const contract = (name: string): { address: string; codeSha256: string } => {
    const entry = record[name] as Record<string, unknown> | null | undefined
    if (typeof entry !== 'object' || entry === null || Object.keys(entry).length !== 2) bad(name)
    const { address, codeSha256 } = entry as Record<string, unknown>
    if (typeof address !== 'string' || !ADDRESS.test(address)) bad(`${name}.address`)
    if (typeof codeSha256 !== 'string' || !CODE_HASH.test(codeSha256)) bad(`${name}.codeSha256`)
    return { address: address as string, codeSha256: codeSha256 as string }
  }
  return {
    version: 1,
    chainId: record.chainId as number,
    deployer: record.deployer as string,
    token: contract('token'),
    escrow: contract('escrow'),
    payouts: contract('payouts')
  }
}

export function contractsOf(record: DeploymentRecord): DeployedContracts {
  return { token: record.token.address, escrow: record.escrow.address, payouts: record.payouts.address }
}

/**
 * Deploys the contracts on the chain at `rpcUrl`, from the `from`-th on (the
 * ones before it are there already), and gives back the record of all three.
 * Contract i is always the deployer's transaction of nonce i, so its address
 * is the same on every fresh dev chain.
 */
export async function deployDevContracts(rpcUrl: string, chainId: number, from = 0): Promise<DeploymentRecord> {
  // Only a first start deploys: a restart checks the code without loading ethers.
  const [{ ContractFactory, JsonRpcProvider, getCreateAddress }, { devWallet }] = await Promise.all([import('ethers'), import('./dev-accounts.ts')])
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 })
  provider.pollingInterval = 20
  try {
    const deployer = devWallet(DEPLOYER_ACCOUNT).connect(provider)
    const nonce = await provider.getTransactionCount(deployer.address, 'pending')
    if (nonce !== from)
      throw new ChainError(
        'Conflict',
        `the dev chain's deployer has sent ${nonce} transactions, not ${from}: the contracts cannot be placed where a record expects them`
      )
    const sent = await Promise.all(
      CONTRACTS.slice(from).map(async ([, artifact], i) => {
        const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, deployer)
        const tx = await factory.getDeployTransaction()
        return await deployer.sendTransaction({ ...tx, nonce: from + i, chainId })
      })
    )
    const receipts = await Promise.all(sent.map(async tx => await tx.wait()))
    for (const [i, receipt] of receipts.entries()) {
      if (receipt === null || receipt.status !== 1 || receipt.contractAddress === null) {
        throw new ChainError('Internal', `deploying ${CONTRACTS[from + i]?.[1].contractName ?? 'a contract'} failed`)
      }
    }
    const deployed = async (i: number): Promise<{ address: string; codeSha256: string }> => {
      const address = getCreateAddress({ from: deployer.address, nonce: i })
      return { address, codeSha256: await codeHashAt(rpcUrl, address) }
    }
    return { version: 1, chainId, deployer: deployer.address, token: await deployed(0), escrow: await deployed(1), payouts: await deployed(2) }
  } finally {
    provider.destroy()
  }
}

export type DeploymentCheck = { readonly state: 'present' } | { readonly state: 'partial'; readonly from: number }

/**
 * Checks that the chain holds each recorded contract's code. 'partial' when
 * the chain lost the last of them (its state was dumped before the deployment
 * was, or its state file is gone) and the deployer has sent nothing since:
 * deploying the rest again puts them at the recorded addresses. Conflict for
 * anything else.
 */
export async function checkDeployment(rpcUrl: string, record: DeploymentRecord, where: string): Promise<DeploymentCheck> {
  const chainId = Number(await rpc(rpcUrl, 'eth_chainId', []))
  if (chainId !== record.chainId) throw new ChainError('Conflict', `${where} is for chain ${record.chainId}, but the dev chain is ${chainId}`)
  const hashes = await Promise.all(CONTRACTS.map(async ([name]) => await codeHashAt(rpcUrl, record[name].address)))
  const present = CONTRACTS.map(([name], i) => hashes[i] === record[name].codeSha256)
  if (present.every(Boolean)) return { state: 'present' }
  const nonce = Number(await rpc(rpcUrl, 'eth_getTransactionCount', [record.deployer, 'latest']))
  const lost = present.indexOf(false)
  const restIsEmpty = hashes.slice(lost).every(hash => hash === EMPTY_CODE_HASH)
  if (nonce === lost && present.slice(0, lost).every(Boolean) && restIsEmpty) return { state: 'partial', from: lost }
  const wrong = CONTRACTS.filter((_, i) => present[i] !== true).map(([name]) => name)
  throw new ChainError(
    'Conflict',
    `the dev chain does not hold the ${wrong.join(', ')} contract code that ${where} records; remove the directory to start afresh`
  )
}

/** Whether two records name the same contracts with the same code. */
export function sameDeployment(a: DeploymentRecord, b: DeploymentRecord): boolean {
  return CONTRACTS.every(([name]) => a[name].address === b[name].address && a[name].codeSha256 === b[name].codeSha256) && a.chainId === b.chainId
}

const EMPTY_CODE_HASH = sha256Hex('0x')

async function codeHashAt(rpcUrl: string, address: string): Promise<string> {
  const code = await rpc(rpcUrl, 'eth_getCode', [address, 'latest'])
  if (typeof code !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(code))
    throw new ChainError('Internal', 'the dev chain answered eth_getCode with something not hex')
  return sha256Hex(code.toLowerCase())
}

function sha256Hex(hex: string): string {
  return createHash('sha256')
    .update(Buffer.from(hex.slice(2), 'hex'))
    .digest('hex')
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const call = deadlineSignal(RPC_TIMEOUT_MS)
  try {
    return await jsonRpcCall(url, method, params, call.signal)
  } catch (err) {
    throw new ChainError('Unavailable', `the dev chain did not answer ${method}`, { cause: err })
  } finally {
    call.clear()
  }
}
