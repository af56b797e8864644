// npm run build:contracts: compiles payment/contracts/src and writes the committed artifacts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { artifactFileName, compileContracts, contractsDir } from '../payment/contracts/compile.ts'

const outDir = join(contractsDir, 'artifacts')
mkdirSync(outDir, { recursive: true })
for (const contract of compileContracts()) {
  const file = join(outDir, artifactFileName(contract.contractName))
  writeFileSync(file, `${JSON.stringify(contract, null, 2)}\n`)
  console.log(`wrote ${file} (${(contract.deployedBytecode.length - 2) / 2} bytes deployed)`)
}
