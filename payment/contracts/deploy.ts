// Deploys the contracts with an ethers signer: the dev chain does it on first start, tests per chain.
import { Contract, ContractFactory, type ContractRunner, type InterfaceAbi, type Signer } from 'ethers'
import { type ContractArtifact, escrowArtifact, payoutsArtifact, testTokenArtifact } from './artifacts.ts'

export interface DeployedContracts {
  token: string
  escrow: string
  payouts: string
}

export async function deployArtifact(artifact: ContractArtifact, signer: Signer): Promise<string> {
  const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, signer)
  const contract = await factory.deploy()
  await contract.waitForDeployment()
  return contract.getAddress()
}

/** The test token, the escrow and the payouts contract, deployed one after another by `signer`. */
export async function deployContracts(signer: Signer): Promise<DeployedContracts> {
  const token = await deployArtifact(testTokenArtifact, signer)
  const escrow = await deployArtifact(escrowArtifact, signer)
  const payouts = await deployArtifact(payoutsArtifact, signer)
  return { token, escrow, payouts }
}

/** An ethers contract object for a deployed artifact (methods by ABI name). */
export function attach(artifact: ContractArtifact, address: string, runner: ContractRunner): Contract {
  return new Contract(address, artifact.abi as InterfaceAbi, runner)
}
