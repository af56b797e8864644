// The net module's entry for schema validation alone (TypeBox, nothing else of
// the network): config files are checked through it without loading libp2p.
// Everything here is also exported by net/index.ts.
export { validator, SchemaError } from './validator.ts'
export type { Validator } from './validator.ts'
