// Compiles the contracts under src/ with solc-js from node_modules (no compiler download).
// Used by the build script and by the test that checks the committed artifacts are current;
// never by the daemon at run time (solc is a development dependency).
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SOLC_VERSION = '0.8.30'
export const COMPILER_SETTINGS = { optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague' } as const
/** The contracts whose artifacts are written; libraries they import are compiled in. */
export const CONTRACT_NAMES = ['AgoraTestToken', 'AgoraEscrow', 'AgoraPayouts'] as const
export type ContractName = (typeof CONTRACT_NAMES)[number]

export const contractsDir = fileURLToPath(new URL('.', import.meta.url))
const sourceDir = join(contractsDir, 'src')

export interface CompiledContract {
  contractName: ContractName
  compiler: { version: string; settings: typeof COMPILER_SETTINGS }
  abi: unknown[]
  bytecode: `0x${string}`
  deployedBytecode: `0x${string}`
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[]
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

interface Solc {
  version(): string
  compile(input: string): string
}

function loadSolc(): Solc {
  return createRequire(import.meta.url)('solc') as Solc
}

function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {}
  for (const file of readdirSync(sourceDir).sort()) {
    if (file.endsWith('.sol')) sources[`src/${file}`] = { content: readFileSync(join(sourceDir, file), 'utf8') }
  }
  return sources
}

/** Compiles every source; throws with the compiler's messages on any error or warning. */
export function compileContracts(): CompiledContract[] {
  const output = compileSources(readSources())
  return CONTRACT_NAMES.map(name => {
    const compiled = output[`src/${name}.sol`]?.[name]
    if (compiled === undefined) throw new Error(`solc produced no ${name}`)
    return { contractName: name, ...compiled }
  })
}

export type CompiledOutput = Record<string, Record<string, Omit<CompiledContract, 'contractName'>>>

/** Compiles the given sources (path → text) with the pinned compiler and settings. */
export function compileSources(sources: Record<string, { content: string }>): CompiledOutput {
  const solc = loadSolc()
  const version = solc.version()
  if (!version.startsWith(`${SOLC_VERSION}+`)) throw new Error(`solc ${SOLC_VERSION} expected, found ${version}`)
  const input = {
    language: 'Solidity',
    sources,
    settings: { ...COMPILER_SETTINGS, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } }
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const problems = (output.errors ?? []).filter(e => e.severity !== 'info')
  if (problems.length > 0) throw new Error(`solc reported:\n${problems.map(e => e.formattedMessage).join('\n')}`)
  const result: CompiledOutput = {}
  for (const [path, contracts] of Object.entries(output.contracts ?? {})) {
    result[path] = {}
    for (const [name, compiled] of Object.entries(contracts)) {
      result[path][name] = {
        compiler: { version, settings: COMPILER_SETTINGS },
        abi: compiled.abi,
        bytecode: `0x${compiled.evm.bytecode.object}`,
        deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`
      }
    }
  }
  return result
}

export function artifactFileName(name: ContractName): string {
  return `${name}.json`
}
