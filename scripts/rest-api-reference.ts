// `npm run docs:api`: writes docs/rest-api-reference.md from the OpenAPI document a daemon serves.
import { writeFile } from 'node:fs/promises'
import { REST_REFERENCE_FILE, renderRestReference } from '../daemon/api/openapi-reference.ts'
import { servedOpenApiDocument } from '../daemon/api/served-openapi.ts'

const document = await servedOpenApiDocument()
await writeFile(new URL(`../${REST_REFERENCE_FILE}`, import.meta.url), renderRestReference(document))
console.log(`wrote ${REST_REFERENCE_FILE} (${Object.keys(document.paths).length} paths)`)
