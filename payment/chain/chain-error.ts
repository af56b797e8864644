// Errors of chain access and the dev chain, from the one vocabulary.
import { CodedError } from '../../net/kernel.ts'

export type ChainErrorCode =
  | 'BadRequest' // a network config, platform name or option that is not valid
  | 'NotFound' // no such network or platform
  | 'Unavailable' // the chain (every RPC URL, or the dev chain's process) cannot serve now
  | 'Timeout' // the chain did not become ready, or answer, within the bound
  | 'Conflict' // the chain's state does not allow it (e.g. a nonce already used)
  | 'Internal'

export class ChainError extends CodedError<ChainErrorCode> {
  override name = 'ChainError'
}
