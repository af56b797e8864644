// The REST API reference (docs/rest-api-reference.md), rendered from the
// OpenAPI document the server generates from the schemas it validates with:
// every operation, its parameters, body fields and answers.

export const REST_REFERENCE_FILE = 'docs/rest-api-reference.md'

type Schema = Record<string, unknown>
type Operation = {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { description?: string }>
}
export interface OpenApiDocument {
  info?: { title?: string; description?: string }
  paths: Record<string, Record<string, Operation>>
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
/** The API families, by path prefix, in the order the page shows them. */
const FAMILIES: readonly (readonly [string, string])[] = [
  ['/market-api/v1', 'Market API v1'],
  ['/activity-api/v1', 'Activity API v1'],
  ['/payment-api/v1', 'Payment API v1'],
  ['/agora-api/v1', 'Agora extras'],
  ['', 'Version and identity']
]

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** A schema in a few words: `string (date-time)`, `integer ≥ 0`, `one of A, B`, `array of object`. */
export function schemaInBrief(schema: Schema | undefined): string {
  if (schema === undefined) return 'any'
  const choices = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (choices !== undefined) {
    const constants = choices.map(choice => (Array.isArray(choice.enum) && choice.enum.length === 1 ? String(choice.enum[0]) : undefined))
    if (constants.every(constant => constant !== undefined)) return `one of ${constants.join(', ')}`
    return choices.map(schemaInBrief).join(' or ')
  }
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(String).join(', ')}`
  const type = typeof schema.type === 'string' ? schema.type : 'any'
  if (type === 'array') return `array of ${schemaInBrief(schema.items as Schema | undefined)}`
  const details: string[] = []
  if (typeof schema.format === 'string') details.push(schema.format)
  if (typeof schema.pattern === 'string') details.push(`\`${schema.pattern}\``)
  if (typeof schema.minimum === 'number') details.push(`≥ ${schema.minimum}`)
  if (typeof schema.maximum === 'number') details.push(`≤ ${schema.maximum}`)
  if (typeof schema.maxLength === 'number') details.push(`at most ${schema.maxLength} characters`)
  if (schema.default !== undefined) details.push(`default ${JSON.stringify(schema.default)}`)
  return details.length === 0 ? type : `${type} (${details.join(', ')})`
}

function familyOf(path: string): string {
  return FAMILIES.find(([prefix]) => prefix === '' || path.startsWith(`${prefix}/`) || path === prefix)?.[1] ?? 'Other'
}

function operationSection(method: string, path: string, operation: Operation): string[] {
  const lines = [`### \`${method.toUpperCase()} ${path}\``, '']
  const about = [operation.operationId === undefined ? '' : `\`${operation.operationId}\``, operation.summary ?? '', operation.description ?? '']
    .filter(part => part !== '')
    .join(' — ')
  if (about !== '') lines.push(about, '')
  const parameters = operation.parameters ?? []
  if (parameters.length > 0) {
    lines.push('| parameter | in | type | required | meaning |', '|---|---|---|---|---|')
    for (const parameter of parameters) {
      const meaning = parameter.description ?? (parameter.schema?.description as string | undefined) ?? ''
      lines.push(
        `| \`${parameter.name}\` | ${parameter.in} | ${cell(schemaInBrief(parameter.schema))} | ${parameter.required === true ? 'yes' : 'no'} | ${cell(meaning)} |`
      )
    }
    lines.push('')
  }
  const body = operation.requestBody?.content?.['application/json']?.schema
  if (body !== undefined) {
    const fields = body.properties as Record<string, Schema> | undefined
    if (fields === undefined || Object.keys(fields).length === 0) {
      lines.push(`Body: ${cell(schemaInBrief(body))}.`, '')
    } else {
      const required = new Set((body.required as string[] | undefined) ?? [])
      lines.push('| body field | type | required | meaning |', '|---|---|---|---|')
      for (const [name, field] of Object.entries(fields)) {
        lines.push(
          `| \`${name}\` | ${cell(schemaInBrief(field))} | ${required.has(name) ? 'yes' : 'no'} | ${cell((field.description as string | undefined) ?? '')} |`
        )
      }
      lines.push('')
    }
  }
  const answers = Object.entries(operation.responses ?? {}).map(([status, response]) => {
    const description =
      response.description === undefined || response.description === 'Default Response'
        ? ''
        : ` ${response.description.replace(/^\(\d+\) /, '').replace(/\.$/, '')}`
    return `\`${status}\`${description}`
  })
  if (answers.length > 0) lines.push(`Answers: ${cell(answers.join('; '))}.`, '')
  return lines
}

/** The whole page: an index of every operation by API, then one section per operation. */
export function renderRestReference(document: OpenApiDocument): string {
  const byFamily = new Map<string, [string, string, Operation][]>(FAMILIES.map(([, name]) => [name, []]))
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = operations[method]
      if (operation === undefined) continue
      const family = familyOf(path)
      if (!byFamily.has(family)) byFamily.set(family, [])
      byFamily.get(family)!.push([method, path, operation])
    }
  }
  const lines = [
    '# REST API reference',
    '',
    "<!-- Generated from the daemon's OpenAPI document by `npm run docs:api`; do not edit by hand (a test fails when they differ). -->",
    '',
    `${document.info?.description ?? ''} Every call but \`GET /agora-api/v1/openapi.json\` needs \`Authorization: Bearer <app-key>\`.`,
    'The guide to the API, and where it differs from the ya-client specs, is [rest-api.md](rest-api.md); the',
    'machine-readable document this page is made from is served by every daemon at `/agora-api/v1/openapi.json`.',
    'Errors answer `{ "message", "correlationId"? }` with the status of their code ([errors.md](errors.md)).',
    ''
  ]
  for (const [family, operations] of byFamily) {
    if (operations.length === 0) continue
    lines.push(`## ${family}`, '', '| method | path | operation |', '|---|---|---|')
    for (const [method, path, operation] of operations) lines.push(`| ${method.toUpperCase()} | \`${path}\` | ${operation.operationId ?? ''} |`)
    lines.push('')
    for (const [method, path, operation] of operations) lines.push(...operationSection(method, path, operation))
  }
  return `${lines.join('\n').trimEnd()}\n`
}
