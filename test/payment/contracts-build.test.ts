import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { artifactFileName, COMPILER_SETTINGS, CONTRACT_NAMES, compileContracts, contractsDir, SOLC_VERSION } from '../../payment/contracts/compile.ts'
import { escrowArtifact, payoutsArtifact, testTokenArtifact } from '../../payment/index.ts'

describe('payment contracts build', function () {
  this.timeout(180_000)

  it('the committed artifacts are what solc-js compiles from the sources now', () => {
    const compiled = compileContracts()
    assert.deepEqual(
      compiled.map(c => c.contractName),
      [...CONTRACT_NAMES]
    )
    for (const contract of compiled) {
      const committed = JSON.parse(readFileSync(join(contractsDir, 'artifacts', artifactFileName(contract.contractName)), 'utf8'))
      assert.equal(committed.bytecode, contract.bytecode, `${contract.contractName}: rebuild with npm run build:contracts`)
      assert.equal(committed.deployedBytecode, contract.deployedBytecode, `${contract.contractName}: rebuild with npm run build:contracts`)
      assert.deepEqual(committed.abi, contract.abi)
      assert.deepEqual(committed.compiler, contract.compiler)
    }
  })

  it('the artifacts record the pinned compiler and settings, and the facade exports them', () => {
    for (const artifact of [testTokenArtifact, escrowArtifact, payoutsArtifact]) {
      assert.ok(artifact.compiler.version.startsWith(`${SOLC_VERSION}+`), artifact.compiler.version)
      assert.deepEqual(artifact.compiler.settings, COMPILER_SETTINGS)
      assert.match(artifact.bytecode, /^0x[0-9a-f]{200,}$/)
    }
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    assert.equal(pkg.devDependencies.solc, SOLC_VERSION, 'solc is pinned exactly to the version the sources name')
    for (const name of CONTRACT_NAMES) {
      const source = readFileSync(join(contractsDir, 'src', `${name}.sol`), 'utf8')
      assert.match(source, new RegExp(`pragma solidity ${SOLC_VERSION.replaceAll('.', '\\.')};`))
    }
  })
})
