// `npm run demo`: a whole marketplace on this machine. The embedded dev chain,
// three provider daemons and one requester daemon start on loopback; each
// party is funded from the chain's faucet; the requester script rents the
// providers through the SDK and maps a WASI job over many inputs across them;
// then the results, the agreements, debit notes, invoices, the payments on
// chain and every party's balance before and after are shown (the steps are
// in demo/scenario.ts). Ctrl-C stops it cleanly, a second Ctrl-C at once;
// nothing is left running either way (the dev chain dies with this process).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runScenario } from './demo/scenario.ts'
import { watchSignals } from './service/signals.ts'

function say(line: string): void {
  console.log(line)
}

const signals = watchSignals()
const stopping = new AbortController()
void signals.received.then(received => {
  say(`\n${received}: stopping cleanly (press Ctrl-C again to stop at once)`)
  stopping.abort(new Error(`stopped by ${received}`))
})
const root = await mkdtemp(join(tmpdir(), 'agora-demo-'))
say(`demo data in ${root} (removed at the end)`)
let code = 0
try {
  const outcome = await runScenario({
    dir: root,
    say,
    signal: stopping.signal,
    onStarted: marketplace => say(`dev chain process ${marketplace.chainPid ?? '-'}`)
  })
  if (!outcome.settled) code = 1
  say('stopped: nothing is left running')
  say(code === 0 ? '\ndemo done' : '\ndemo done, but not every invoice was paid in time')
} catch (error) {
  code = signals.signal === null ? 1 : 130
  say(`stopped: nothing is left running\n\ndemo ${signals.signal === null ? 'failed' : 'stopped'}: ${(error as Error).message}`)
} finally {
  signals.close()
  await rm(root, { recursive: true, force: true })
}
process.exitCode = code
