// Golem's own requester SDK, golem-js 3.x unchanged, drives an Agora requester
// daemon through its yagna-compatible API, on the wasmtime runtime: the
// workload is a WASI command (`probe <code> <words…>`: prints the words, exits
// with the code). See test/helpers/golem-js-session.ts for the steps.
import { describeGolemJsSession } from '../helpers/golem-js-session.ts'
import { serveProbeWorkload } from '../helpers/golem-workload.ts'

describeGolemJsSession({
  runtime: 'wasmtime',
  serve: serveProbeWorkload,
  timeoutMs: 120_000,
  succeeds: { command: 'probe', args: ['0', 'hello', 'from', 'golem-js'], stdout: 'hello from golem-js\n' },
  fails: { command: 'probe', args: ['3', 'about', 'to', 'fail'], stdout: 'about to fail\n', code: 3 },
  streams: { command: 'probe', args: ['0', 'streamed', 'words'], stdout: 'streamed words\n' },
  streamsAndFails: { command: 'probe', args: ['4', 'streamed', 'failure'], stdout: 'streamed failure\n' }
})
