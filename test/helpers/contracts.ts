// The compiled contracts deployed on a real dev chain, with funded parties, for the contract tests and benchmarks.
import assert from 'node:assert/strict'
import { Interface, type InterfaceAbi, type JsonRpcProvider, type Signer, type TransactionReceipt, type Wallet } from 'ethers'
import { attach, deployArtifact, escrowArtifact, payoutsArtifact, testTokenArtifact } from '../../payment/index.ts'
import { devWallet } from '../../payment/index.ts'

export interface Party {
  address: string
  wallet: Wallet
  /** The wallet itself: tests send one transaction at a time, so each takes the chain's next nonce. */
  signer: Signer
}

export function party(index: number, provider: JsonRpcProvider): Party {
  const wallet = devWallet(index).connect(provider) as unknown as Wallet
  return { address: wallet.address, wallet, signer: wallet }
}

/** Contracts as tests call them: methods by ABI name. */
export type LiveContract = any

export interface Deployed {
  token: LiveContract
  escrow: LiveContract
  payouts: LiveContract
}

export async function deployAll(deployer: Signer): Promise<Deployed> {
  const token = await deployArtifact(testTokenArtifact, deployer)
  const escrow = await deployArtifact(escrowArtifact, deployer)
  const payouts = await deployArtifact(payoutsArtifact, deployer)
  return {
    token: attach(testTokenArtifact, token, deployer),
    escrow: attach(escrowArtifact, escrow, deployer),
    payouts: attach(payoutsArtifact, payouts, deployer)
  }
}

/** Sends a transaction built by `send` and waits for its receipt, which must show success. */
export async function mined(send: Promise<{ wait(): Promise<TransactionReceipt | null> }>): Promise<TransactionReceipt> {
  const receipt = await (await send).wait()
  assert.ok(receipt !== null && receipt.status === 1, 'the transaction succeeded')
  return receipt
}

const interfaces = [testTokenArtifact, escrowArtifact, payoutsArtifact].map(artifact => new Interface(artifact.abi as InterfaceAbi))

/** The custom error in revert data, decoded with the ABIs of our contracts (ethers leaves gas-estimation reverts undecoded). */
export function customErrorOf(err: any): { name: string; args: unknown[] } | undefined {
  const data = typeof err?.data === 'string' ? err.data : undefined
  if (data === undefined) return undefined
  for (const iface of interfaces) {
    const parsed = iface.parseError(data)
    if (parsed !== null) return { name: parsed.name, args: [...parsed.args] }
  }
  return undefined
}

/** Asserts that `action` reverts with our contracts' custom error `name`, and with `args` when given. */
export async function revertsWith(action: Promise<unknown>, name: string, args?: unknown[]): Promise<void> {
  await assert.rejects(action, (err: any) => {
    const decoded = customErrorOf(err)
    assert.equal(decoded?.name, name, `expected revert ${name}, got ${decoded?.name ?? err?.shortMessage ?? err}`)
    if (args !== undefined) assert.deepEqual(decoded?.args, args)
    return true
  })
}

/** The chain's own time (seconds), from its latest block. */
export async function chainTime(provider: JsonRpcProvider): Promise<number> {
  const block = await provider.getBlock('latest')
  assert.ok(block !== null)
  return block.timestamp
}

/** Moves the chain's clock forward and mines a block at the new time. */
export async function advanceChainTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds])
  await provider.send('evm_mine', [])
}
