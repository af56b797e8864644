import assert from 'node:assert/strict'
import { ExeScriptError, parseExeScript } from '../../exe-unit/index.ts'
import { DEFAULT_EXESCRIPT_LIMITS } from '../../exe-unit/exescript/types.ts'

function refused(script: unknown, pattern: RegExp, limits = DEFAULT_EXESCRIPT_LIMITS): void {
  assert.throws(
    () => parseExeScript(script, limits),
    (error: unknown) => {
      assert.ok(error instanceof ExeScriptError, `expected ExeScriptError, got ${String(error)}`)
      assert.equal(error.code, 'BadRequest')
      assert.match(error.message, pattern)
      return true
    }
  )
}

describe('exe-unit ExeScript parsing', () => {
  it('parses every command kind as Golem sends them', () => {
    const script = JSON.stringify([
      { deploy: { net: [], volumes: {}, progress: { 'update-interval': '1s' } } },
      { start: { args: ['a'] } },
      {
        run: {
          entry_point: '/bin/sh',
          args: ['-c', 'echo hi'],
          capture: { stdout: { atEnd: { part: { head: 1024 }, format: 'str' } }, stderr: { stream: { format: 'bin' } } }
        }
      },
      { transfer: { from: 'http://example.com/a', to: 'container:/work/a' } },
      { sign: {} },
      { terminate: {} }
    ])
    const commands = parseExeScript(script).map(c => c.command)
    assert.deepEqual(commands, [
      { kind: 'deploy' },
      { kind: 'start', args: ['a'] },
      {
        kind: 'run',
        entryPoint: '/bin/sh',
        args: ['-c', 'echo hi'],
        env: {},
        capture: { stdout: { atEnd: { part: { head: 1024 }, format: 'str' } }, stderr: { stream: { format: 'bin' } } }
      },
      { kind: 'transfer', from: 'http://example.com/a', to: 'container:/work/a' },
      { kind: 'sign' },
      { kind: 'terminate' }
    ])
  })

  it('keeps the wire command for started events and accepts a decoded array', () => {
    const wire = { run: { entry_point: 'x' } }
    const [parsed] = parseExeScript([wire])
    assert.deepEqual(parsed?.wire, wire)
  })

  it('fills in capture defaults and accepts the OpenAPI spellings of formats', () => {
    const [noCapture, spelled, tailStream] = parseExeScript([
      { run: { entry_point: 'x' } },
      { run: { entry_point: 'x', capture: { stdout: { atEnd: { format: 'binary' } }, stderr: { atEnd: { part: { headTail: 10 }, format: 'string' } } } } },
      { run: { entry_point: 'x', capture: { stdout: { atEnd: { part: { tail: 5 } } }, stderr: { stream: { limit: 7 } } } } }
    ]).map(c => c.command)
    assert.deepEqual(noCapture, {
      kind: 'run',
      entryPoint: 'x',
      args: [],
      env: {},
      capture: { stdout: { atEnd: { format: 'str' } }, stderr: { atEnd: { format: 'str' } } }
    })
    assert.deepEqual(spelled, {
      kind: 'run',
      entryPoint: 'x',
      args: [],
      env: {},
      capture: { stdout: { atEnd: { format: 'bin' } }, stderr: { atEnd: { part: { headTail: 10 }, format: 'str' } } }
    })
    assert.deepEqual(tailStream, {
      kind: 'run',
      entryPoint: 'x',
      args: [],
      env: {},
      capture: { stdout: { atEnd: { part: { tail: 5 }, format: 'str' } }, stderr: { stream: { limit: 7, format: 'str' } } }
    })
  })

  it('treats an output missing from a given capture as not captured', () => {
    const [run] = parseExeScript([{ run: { entry_point: 'x', capture: { stdout: { stream: {} } } } }]).map(c => c.command)
    assert.deepEqual(run, { kind: 'run', entryPoint: 'x', args: [], env: {}, capture: { stdout: { stream: { format: 'str' } }, stderr: null } })
  })

  it('takes run.env as golem-js sends it: an object of strings, null or absent for none', () => {
    // As text: an object literal would take __proto__ as its prototype, JSON.parse keeps it a key.
    const commands = parseExeScript(
      '[{"run":{"entry_point":"x","args":null,"env":{"A":"1","EMPTY":"","__proto__":"kept","dotted.name":"a=b"}}},' +
        '{"run":{"entry_point":"x","env":null}},{"run":{"entry_point":"x"}}]'
    ).map(c => c.command)
    const envs = commands.map(command => (command.kind === 'run' ? command.env : undefined))
    assert.deepEqual(Object.entries(envs[0] ?? {}), [
      ['A', '1'],
      ['EMPTY', ''],
      ['__proto__', 'kept'],
      ['dotted.name', 'a=b']
    ])
    assert.deepEqual(envs.slice(1), [{}, {}])
  })

  it('refuses a bad run.env whole, naming the command, the field and the variable', () => {
    refused([{ deploy: {} }, { run: { entry_point: 'x', env: ['A=1'] } }], /command 1 \(run\): run\.env must be an object/)
    refused([{ run: { entry_point: 'x', env: { 'A=B': '1' } } }], /run\.env has a variable name that is empty or contains "=" or NUL: "A=B"/)
    refused([{ run: { entry_point: 'x', env: { '': '1' } } }], /run\.env has a variable name that is empty/)
    refused([{ run: { entry_point: 'x', env: { 'A\u0000B': '1' } } }], /run\.env has a variable name that is empty or contains "=" or NUL/)
    refused([{ run: { entry_point: 'x', env: { A: 1 } } }], /run\.env\.A must be a string/)
    refused([{ run: { entry_point: 'x', env: { A: null } } }], /run\.env\.A must be a string/)
    refused([{ run: { entry_point: 'x', env: { A: 'a\u0000b' } } }], /run\.env\.A must not contain a NUL character/)
  })

  it('bounds run.env: variable count, name and value length, total bytes', () => {
    const limits = { ...DEFAULT_EXESCRIPT_LIMITS, maxEnvVars: 2, maxEnvNameBytes: 4, maxEnvValueBytes: 6, maxEnvBytes: 16 }
    refused([{ run: { entry_point: 'x', env: { A: '1', B: '2', C: '3' } } }], /run\.env has more than 2 variables/, limits)
    refused([{ run: { entry_point: 'x', env: { NAMED: '1' } } }], /run\.env has a variable name longer than 4 bytes/, limits)
    refused([{ run: { entry_point: 'x', env: { A: '1234567' } } }], /run\.env\.A is longer than 6 bytes/, limits)
    // Each entry counts NAME=value and its NUL: 2 + 6 + 2 = 10, twice is 20 > 16.
    refused([{ run: { entry_point: 'x', env: { AB: '123456', CD: '123456' } } }], /run\.env is larger than 16 bytes/, limits)
    const [fits] = parseExeScript([{ run: { entry_point: 'x', env: { AB: '1234', CD: '12' } } }], limits).map(c => c.command)
    assert.deepEqual(fits?.kind === 'run' ? fits.env : undefined, { AB: '1234', CD: '12' })
    // Bounds are checked before anything runs: the batch is refused whole, an earlier valid command with it.
    refused(
      [{ run: { entry_point: 'x' } }, { run: { entry_point: 'y', env: { A: '1', B: '2', C: '3' } } }],
      /command 1 \(run\): run\.env has more than 2/,
      limits
    )
  })

  it('refuses malformed scripts whole, naming the command index and field', () => {
    refused('not json', /not valid JSON/)
    refused('{"deploy":{}}', /must be a JSON array/)
    refused('[]', /no commands/)
    refused([{ deploy: {} }, 'run'], /command 1: must be an object/)
    refused([{ deploy: {}, start: {} }], /command 0: must have exactly one key/)
    refused([{ deploy: {} }, { launch: {} }], /command 1: is of unknown kind "launch"/)
    refused([{ run: {} }], /command 0 \(run\): run\.entry_point must be a string/)
    refused([{ run: { entry_point: '' } }], /run\.entry_point must be a non-empty string/)
    refused([{ deploy: {} }, { run: { entry_point: 'x', args: ['ok', 3] } }], /command 1 \(run\): run\.args\[1\] must be a string/)
    refused([{ run: { entry_point: 'x', args: 'ls' } }], /run\.args must be an array of strings/)
    refused([{ run: { entry_point: 'x', shell: true } }], /run\.shell is not a known field/)
    refused(
      [{ run: { entry_point: 'x', capture: { stdout: { atEnd: { part: { head: -1 } } } } } }],
      /run\.capture\.stdout\.atEnd\.part\.head must be a positive integer/
    )
    refused([{ run: { entry_point: 'x', capture: { stdout: { atEnd: { part: { middle: 5 } } } } } }], /part\.middle is not a known part/)
    refused([{ run: { entry_point: 'x', capture: { stdout: { atEnd: { part: { head: 1, tail: 1 } } } } } }], /part must have exactly one key/)
    refused([{ run: { entry_point: 'x', capture: { stderr: { atEnd: {}, stream: {} } } } }], /run\.capture\.stderr must have exactly one key, atEnd or stream/)
    refused([{ run: { entry_point: 'x', capture: { stderr: { stream: { format: 'hex' } } } } }], /run\.capture\.stderr\.stream\.format must be "str" or "bin"/)
    refused([{ transfer: { from: 'http://a/b' } }], /command 0 \(transfer\): transfer\.to must be a string/)
    refused([{ transfer: { from: 'http://a/b', to: 'container:/x', format: 'zip' } }], /transfer\.format is not supported/)
    refused([{ deploy: { net: [{ id: 'n', ip: '10.0.0.2', mask: '255.255.0.0' }] } }], /deploy\.net is not supported/)
    refused([{ sign: { key: 'x' } }], /sign\.key is not a known field/)
    refused([{ terminate: [] }], /terminate must be an object/)
  })

  it('bounds the batch: commands, script size, argument count and size, capture sizes', () => {
    const limits = { ...DEFAULT_EXESCRIPT_LIMITS, maxCommands: 3, maxArgs: 2, maxArgBytes: 8, maxCaptureBytes: 100, maxScriptBytes: 400 }
    refused(
      Array.from({ length: 4 }, () => ({ sign: {} })),
      /4 commands, at most 3/,
      limits
    )
    refused([{ run: { entry_point: 'x', args: ['a', 'b', 'c'] } }], /run\.args has more than 2 entries/, limits)
    refused([{ run: { entry_point: 'x', args: ['123456789'] } }], /run\.args\[0\] is longer than 8 bytes/, limits)
    refused([{ run: { entry_point: 'x', capture: { stdout: { stream: { limit: 101 } } } } }], /limit must be at most 100/, limits)
    refused(JSON.stringify([{ run: { entry_point: 'x', args: ['a'.repeat(500)] } }]), /larger than 400 bytes/, limits)
    refused([{ run: { entry_point: 'x', args: ['a\u0000b'] } }], /must not contain a NUL/)
  })
})
