// `agora chain dev`: one dev chain for the daemons on this machine, until
// SIGINT or SIGTERM. Signals are answered from the first line on; the chain's
// code (ethers, the contracts) is loaded only to run it.
import { join, resolve } from 'node:path'
import { defaultDataDir } from '../config/defaults.ts'
import { watchSignals } from '../service/signals.ts'
import { UsageError } from './usage.ts'
import type { DevNetworkStarted as Started } from '../../payment/dev.ts'
import type { CommandRun, OptionValues } from './usage.ts'

export const DEV_CHAIN_SUBDIR = 'dev-chain'

interface ChainDevOptions {
  dir: string
  port?: number
  blockTimeSeconds?: number
}

/** The options, checked before anything is opened. */
export function chainDevOptions(values: OptionValues, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ChainDevOptions {
  const dirFlag = values['data-dir']
  if (typeof dirFlag === 'string' && dirFlag.trim() === '') throw new UsageError('--data-dir: must not be empty')
  const agoraDir = env.AGORA_DATA_DIR !== undefined && env.AGORA_DATA_DIR !== '' ? resolve(cwd, env.AGORA_DATA_DIR) : defaultDataDir(env)
  const options: ChainDevOptions = { dir: typeof dirFlag === 'string' ? resolve(cwd, dirFlag) : join(agoraDir, DEV_CHAIN_SUBDIR) }
  const port = values.port
  if (typeof port === 'string') {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) throw new UsageError(`--port: must be a port number from 0 to 65535, not ${JSON.stringify(port)}`)
    options.port = Number(port)
  }
  const blockTime = values['block-time']
  if (typeof blockTime === 'string') {
    const seconds = Number(blockTime)
    if (!/^\d+(\.\d+)?$/.test(blockTime) || !(seconds > 0) || seconds > 3_600) {
      throw new UsageError(`--block-time: must be a number of seconds above 0 and at most 3600, not ${JSON.stringify(blockTime)}`)
    }
    options.blockTimeSeconds = seconds
  }
  return options
}

export const runChainDev: CommandRun = async ({ values }) => {
  const signals = watchSignals()
  try {
    const options = chainDevOptions(values)
    const loaded = await Promise.race([import('../../payment/dev.ts'), signals.received.then(() => null)])
    if (loaded === null) return 0
    const network = new loaded.DevNetwork(
      {},
      {
        dir: options.dir,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.blockTimeSeconds === undefined ? {} : { blockTimeSeconds: options.blockTimeSeconds })
      }
    )
    const starting = network.start()
    const first = await Promise.race([starting.then(started => ({ started })), signals.received.then(() => null)])
    if (first === null) {
      // Asked to stop while starting: let the start finish (or fail), then stop what it started.
      await starting.catch(() => undefined)
      return await signals.stopWith(async () => await network.stop())
    }
    const { started } = first
    const chainExited = network.whenChainExited().then(() => 'exited' as const)
    process.stdout.write(values.json === true ? `${JSON.stringify(startedJson(started))}\n` : startedText(started))
    const outcome = await Promise.race([signals.received.then(() => 'signal' as const), chainExited])
    if (outcome === 'exited') {
      await network.stop()
      process.stderr.write('agora: the dev chain exited by itself\n')
      return 1
    }
    return await signals.stopWith(async () => await network.stop())
  } finally {
    signals.close()
  }
}

function startedJson(started: Started): object {
  const { rpcUrl, chainId, contracts, networkFile, deployed } = started
  return { networkFile, rpcUrl, chainId, contracts, deployed, platform: platformOf(started), aliases: started.network.aliases ?? [] }
}

function startedText(started: Started): string {
  const aliases = started.network.aliases ?? []
  const rows: Array<[string, string]> = [
    ['network file', started.networkFile],
    ['rpc url', started.rpcUrl],
    ['chain id', String(started.chainId)],
    ['platform', `${platformOf(started)}${aliases.length === 0 ? '' : ` (also ${aliases.join(', ')})`}`],
    ['token', started.contracts.token],
    ['escrow', started.contracts.escrow],
    ['payouts', started.contracts.payouts]
  ]
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  return [
    `dev chain running (${started.deployed ? 'contracts deployed' : 'contracts from an earlier start'})`,
    ...rows.map(([label, value]) => `${label.padEnd(width)}${value}`),
    `Daemons pay on it with "modules": { "payment": { "networkFiles": [${JSON.stringify(started.networkFile)}] } }.`,
    'Stop it with Ctrl-C (SIGINT) or SIGTERM; its state stays in the directory.',
    ''
  ].join('\n')
}

function platformOf(started: Started): string {
  return `erc20-${started.network.name}-${started.network.token.symbol}`
}
