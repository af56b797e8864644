// Compares two OpenAPI 3 documents operation by operation: path and method,
// operationId, parameters (name, in, required), status codes, and the field names of the
// request body and of the success response. Both sides are read the same way,
// with `$ref`s resolved across the ya-client files (`common.yaml#/...`).

/** An OpenAPI document (or a part of one), as parsed from YAML or JSON. */
type Node = Record<string, any>

/** The documents a `$ref` may point into, by file name; '' is the document itself. */
export type Documents = Record<string, Node>

export interface Operation {
  /** `METHOD /full/path` with `{param}` templates. */
  key: string
  operationId: string | undefined
  /** `in name` → required. */
  parameters: Map<string, boolean>
  /** Statuses, `default` included. */
  statuses: Set<string>
  requestFields: Set<string>
  responseFields: Set<string>
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

interface Located {
  file: string
  node: Node
}

/** Follows `$ref`s (keeping sibling keys, which the ya-client files use to rename a shared parameter). */
function resolve(documents: Documents, file: string, node: Node): Located {
  let current: Located = { file, node }
  for (let hops = 0; typeof current.node?.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${current.node.$ref}`)
    const { $ref, ...siblings } = current.node
    const [target = '', pointer = ''] = ($ref as string).split('#')
    const targetFile = target === '' ? current.file : target
    const document = documents[targetFile]
    if (document === undefined) throw new Error(`$ref into an unknown file: ${$ref}`)
    let found: any = document
    for (const part of pointer.split('/').filter(p => p !== '')) found = found?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    if (found === undefined) throw new Error(`$ref to nothing: ${$ref}`)
    current = { file: targetFile, node: { ...found, ...siblings } }
  }
  return current
}

/** The schemas of `file` that extend `name` by allOf: a discriminator's subtypes. */
function subtypesOf(documents: Documents, file: string, name: string): Located[] {
  const schemas: Node = documents[file]?.components?.schemas ?? {}
  return Object.values(schemas)
    .filter((schema: Node | null) => (schema?.allOf ?? []).some((part: Node) => part.$ref === `#/components/schemas/${name}`))
    .map(node => ({ file, node: node as Node }))
}

/** Dotted field names of a schema (`[]` for array items), nested objects included. */
export function fieldsOf(documents: Documents, file: string, schema: Node | undefined, prefix = '', depth = 0, asBase = false): Set<string> {
  const fields = new Set<string>()
  if (schema === undefined || depth > 6) return fields
  const refName = typeof schema.$ref === 'string' ? (schema.$ref as string).split('/').pop() : undefined
  const { file: at, node } = resolve(documents, file, schema)
  const add = (more: Set<string>): void => {
    for (const field of more) fields.add(field)
  }
  // A base reached from a subtype's allOf stands for itself only, not for its other subtypes.
  for (const part of node.allOf ?? []) add(fieldsOf(documents, at, part, prefix, depth + 1, true))
  for (const part of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) add(fieldsOf(documents, at, part, prefix, depth + 1))
  const polymorphic = node.discriminator !== undefined || (node.allOf ?? []).some((part: Node) => part.discriminator !== undefined)
  if (polymorphic && refName !== undefined && !asBase) {
    for (const subtype of subtypesOf(documents, at, refName)) add(fieldsOf(documents, at, subtype.node, prefix, depth + 1))
  }
  if (node.type === 'array' || node.items !== undefined) add(fieldsOf(documents, at, node.items, `${prefix}[].`, depth + 1))
  for (const [name, property] of Object.entries<Node>(node.properties ?? {})) {
    fields.add(`${prefix}${name}`)
    add(fieldsOf(documents, at, property, `${prefix}${name}.`, depth + 1))
  }
  return fields
}

function jsonSchemaOf(documents: Documents, file: string, holder: Node | undefined): { file: string; schema: Node | undefined } {
  if (holder === undefined) return { file, schema: undefined }
  const { file: at, node } = resolve(documents, file, holder)
  return { file: at, schema: node.content?.['application/json']?.schema }
}

/** Every operation of `documents[file]`, its paths under `prefix` (the spec's server url). */
export function operationsOf(documents: Documents, file: string, prefix = ''): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries<Node>(documents[file]?.paths ?? {})) {
    for (const method of METHODS) {
      const operation: Node | undefined = item[method]
      if (operation === undefined) continue
      const parameters = new Map<string, boolean>()
      for (const raw of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
        const { node } = resolve(documents, file, raw)
        if (node.in === 'header') continue
        parameters.set(`${node.in} ${node.name}`, node.required === true)
      }
      const statuses = new Set(Object.keys(operation.responses ?? {}))
      const success = [...statuses].filter(status => status.startsWith('2')).sort()[0]
      const request = jsonSchemaOf(documents, file, operation.requestBody)
      const response = jsonSchemaOf(documents, file, success === undefined ? undefined : operation.responses[success])
      operations.push({
        key: `${method.toUpperCase()} ${prefix}${path}`,
        operationId: operation.operationId,
        parameters,
        statuses,
        requestFields: fieldsOf(documents, request.file, request.schema),
        responseFields: fieldsOf(documents, response.file, response.schema)
      })
    }
  }
  return operations
}

function setDifferences(key: string, what: string, ours: Set<string>, theirs: Set<string>): string[] {
  const differences: string[] = []
  for (const item of [...theirs].sort()) if (!ours.has(item)) differences.push(`${key}: ${what} ${item} missing`)
  for (const item of [...ours].sort()) if (!theirs.has(item)) differences.push(`${key}: ${what} ${item} not in the spec`)
  return differences
}

/** The differences of one operation served (`ours`) from the spec's (`theirs`), one line each. */
export function operationDifferences(ours: Operation, theirs: Operation): string[] {
  const key = theirs.key
  const differences: string[] = []
  if (ours.operationId !== theirs.operationId) differences.push(`${key}: operationId ${String(ours.operationId)}, the spec has ${String(theirs.operationId)}`)
  for (const [parameter, required] of theirs.parameters) {
    const served = ours.parameters.get(parameter)
    if (served === undefined) differences.push(`${key}: parameter ${parameter} missing`)
    else if (served !== required)
      differences.push(`${key}: parameter ${parameter} ${served ? 'required' : 'optional'}, the spec has it ${required ? 'required' : 'optional'}`)
  }
  for (const parameter of ours.parameters.keys()) if (!theirs.parameters.has(parameter)) differences.push(`${key}: parameter ${parameter} not in the spec`)
  // The spec's `default` (UnexpectedError) is what Agora documents as 500.
  const theirStatuses = new Set([...theirs.statuses].filter(status => status !== 'default'))
  const ourStatuses = new Set([...ours.statuses].filter(status => !(status === '500' && theirs.statuses.has('default'))))
  differences.push(...setDifferences(key, 'status', ourStatuses, theirStatuses))
  differences.push(...setDifferences(key, 'request field', ours.requestFields, theirs.requestFields))
  differences.push(...setDifferences(key, 'response field', ours.responseFields, theirs.responseFields))
  return differences
}
