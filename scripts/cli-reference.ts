// `npm run docs:cli`: writes docs/cli-reference.md from the CLI's command table.
import { writeFile } from 'node:fs/promises'
import { COMMANDS, ENVIRONMENT } from '../daemon/cli/cli.ts'
import { CLI_REFERENCE_FILE, renderCliReference } from '../daemon/cli/reference.ts'

const target = new URL(`../${CLI_REFERENCE_FILE}`, import.meta.url)
await writeFile(target, renderCliReference(COMMANDS, ENVIRONMENT))
console.log(`wrote ${CLI_REFERENCE_FILE} (${COMMANDS.length} commands)`)
