import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { COMMANDS, ENVIRONMENT } from '../../daemon/cli/cli.ts'
import { CLI_REFERENCE_FILE, renderCliReference } from '../../daemon/cli/reference.ts'
import { commandHelp } from '../../daemon/cli/usage.ts'
import { REST_REFERENCE_FILE, renderRestReference, schemaInBrief } from '../../daemon/api/openapi-reference.ts'
import type { OpenApiDocument } from '../../daemon/api/openapi-reference.ts'
import { servedOpenApiDocument } from '../../daemon/api/served-openapi.ts'

const ROOT = new URL('../../', import.meta.url)

describe('the generated reference docs', function () {
  this.timeout(120_000)

  describe(CLI_REFERENCE_FILE, () => {
    it('is what `npm run docs:cli` renders from the command table (run it after changing a command)', async () => {
      const committed = await readFile(new URL(CLI_REFERENCE_FILE, ROOT), 'utf8')
      assert.equal(committed, renderCliReference(COMMANDS, ENVIRONMENT), `${CLI_REFERENCE_FILE} differs from the command table: run npm run docs:cli`)
    })

    it('has a section for every command, with every flag its --help shows', () => {
      const page = renderCliReference(COMMANDS, ENVIRONMENT)
      for (const command of COMMANDS) {
        assert.ok(page.includes(`## \`agora ${[...command.words, ...command.args].join(' ')}\``), command.words.join(' '))
        const section = page.split(`## \`agora ${[...command.words, ...command.args].join(' ')}\``)[1]!.split('\n## ')[0]!
        for (const flag of commandHelp(command).match(/--[a-z-]+/g) ?? []) assert.ok(section.includes(`\`${flag}`), `${command.words.join(' ')} ${flag}`)
      }
    })

    it('notices a changed command: a new option is drift', () => {
      const changed = COMMANDS.map((command, i) =>
        i === 0 ? { ...command, options: { ...command.options, extra: { type: 'boolean' as const, description: 'new' } } } : command
      )
      assert.notEqual(renderCliReference(changed, ENVIRONMENT), renderCliReference(COMMANDS, ENVIRONMENT))
    })
  })

  describe(REST_REFERENCE_FILE, () => {
    let served: OpenApiDocument

    before(async () => {
      served = await servedOpenApiDocument()
    })

    it('is what `npm run docs:api` renders from the OpenAPI document a daemon serves (run it after changing a route)', async () => {
      const committed = await readFile(new URL(REST_REFERENCE_FILE, ROOT), 'utf8')
      assert.equal(committed, renderRestReference(served), `${REST_REFERENCE_FILE} differs from the served OpenAPI document: run npm run docs:api`)
    })

    it('lists every served operation once', () => {
      const page = renderRestReference(served)
      let operations = 0
      for (const [path, methods] of Object.entries(served.paths)) {
        for (const method of Object.keys(methods)) {
          operations++
          assert.equal(page.split(`### \`${method.toUpperCase()} ${path}\`\n`).length, 2, `${method} ${path}`)
        }
      }
      assert.ok(operations >= Object.keys(served.paths).length)
    })

    it('says a schema in brief', () => {
      assert.equal(
        schemaInBrief({
          anyOf: [
            { type: 'string', enum: ['A'] },
            { type: 'string', enum: ['B'] }
          ]
        }),
        'one of A, B'
      )
      assert.equal(schemaInBrief({ type: 'array', items: { type: 'integer', minimum: 0 } }), 'array of integer (≥ 0)')
      assert.equal(schemaInBrief({ type: 'string', format: 'date-time' }), 'string (date-time)')
      assert.equal(schemaInBrief(undefined), 'any')
    })
  })
})
