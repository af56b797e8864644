// Runs every *.bench.ts under test/bench/ in its own process, one after another,
// so that one benchmark's heap and timers do not disturb the next.
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter(name => name.endsWith('.bench.ts'))
  .filter(name => only.length === 0 || only.some(o => name.includes(o)))
  .sort()

let failed = 0
for (const file of files) {
  console.log(`# ${file}`)
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, file)], { stdio: 'inherit' })
  if (result.status !== 0) {
    failed++
    console.log(`# ${file} failed with exit code ${result.status}`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
