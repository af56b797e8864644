// A request/response protocol is declared once, as data, and both ends use
// the same declaration: the name on the wire, the schemas of both messages,
// their size limits, and how long an exchange may take.
import { validator } from '../schema/validator.ts'
import type { Validator } from '../schema/validator.ts'
import type { TSchema } from 'typebox'

export interface ProtocolDefinition<Req extends TSchema = TSchema, Res extends TSchema = TSchema> {
  /** '/agora/<module>/<version>' */
  name: string
  request: Req
  response: Res
  /** Largest request frame accepted, in bytes of JSON. */
  maxRequestBytes: number
  /** Largest response frame accepted, in bytes of JSON. */
  maxResponseBytes: number
  /** The whole exchange, dial included, on the requester's side; the handler's budget on the other. */
  timeoutMs: number
  /**
   * Whether the exchange may run over a relayed connection (libp2p's
   * "limited" one: the relay closes it past a data and time budget). Small
   * messages may; bulk transfers may not (the default): they wait a while
   * for a direct connection (hole punching), then fail Unreachable.
   */
  overRelay?: boolean
  /**
   * Whether one long-lived stream per peer carries every exchange (see
   * channel.ts), rather than a stream of its own each: for small requests
   * asked often, where a stream's negotiation round trip and setup would
   * cost more than the exchange. The peer answers a channel's requests one
   * after another, so a handler that waits (a long poll) would hold up every
   * request behind it: such protocols keep a stream each.
   */
  longLived?: boolean
}

const PROTOCOL_NAME = /^\/agora\/[a-z][a-z0-9-]*(\/[a-z0-9][a-z0-9.-]*)*\/[0-9][0-9.]*$/

/** Checks a definition once, so that a typo fails at start, not on the first request. */
export function defineProtocol<Req extends TSchema, Res extends TSchema>(definition: ProtocolDefinition<Req, Res>): ProtocolDefinition<Req, Res> {
  if (!PROTOCOL_NAME.test(definition.name)) throw new TypeError(`protocol name must look like /agora/<module>/<version>, not ${definition.name}`)
  for (const limit of ['maxRequestBytes', 'maxResponseBytes', 'timeoutMs'] as const) {
    const value = definition[limit]
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${definition.name}: ${limit} must be a positive integer, not ${value}`)
  }
  validatorsOf(definition)
  return definition
}

export interface ProtocolValidators<Req extends TSchema, Res extends TSchema> {
  request: Validator<Req>
  response: Validator<Res>
}

// Compiling a schema costs far more than checking a value: once per definition.
const compiled = new WeakMap<ProtocolDefinition, ProtocolValidators<TSchema, TSchema>>()

export function validatorsOf<Req extends TSchema, Res extends TSchema>(definition: ProtocolDefinition<Req, Res>): ProtocolValidators<Req, Res> {
  let validators = compiled.get(definition)
  if (validators === undefined) {
    validators = {
      request: validator(definition.request, `${definition.name} request`),
      response: validator(definition.response, `${definition.name} response`)
    }
    compiled.set(definition, validators)
  }
  return validators as unknown as ProtocolValidators<Req, Res>
}
