import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { ERROR_CODES, CodedError, codeFromPeer, isErrorCode, statusOf } from '../../net/index.ts'
import type { ErrorCode } from '../../net/index.ts'

const DOC = new URL('../../docs/errors.md', import.meta.url)

function docRows(text: string): string[] {
  const begin = text.indexOf('<!-- codes:begin -->')
  const end = text.indexOf('<!-- codes:end -->')
  assert.ok(begin >= 0 && end > begin, 'docs/errors.md has the codes markers')
  return text
    .slice(begin, end)
    .split('\n')
    .filter(line => line.startsWith('| `'))
}

describe('the error vocabulary', () => {
  it('is PascalCase, with statuses of errors and one-line meanings', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][a-zA-Z]+$/, code)
      assert.ok(Number.isInteger(info.status) && info.status >= 400 && info.status <= 599, code)
      assert.ok(info.meaning.length > 0 && !info.meaning.includes('\n'), code)
    }
    // The statuses docs/rest-api.md promises.
    const expected: Partial<Record<ErrorCode, number>> = {
      BadRequest: 400,
      Unauthorized: 401,
      Forbidden: 403,
      NotFound: 404,
      Timeout: 408,
      Conflict: 409,
      Gone: 410,
      PayloadTooLarge: 413,
      RateLimited: 429,
      Internal: 500,
      Unreachable: 502,
      Unavailable: 503,
      CapacityExceeded: 503,
      PeerTimeout: 504,
      InsufficientStorage: 507
    }
    for (const [code, status] of Object.entries(expected)) assert.equal(statusOf(code as ErrorCode), status, code)
  })

  it('is documented in docs/errors.md, row for row', async () => {
    const rows = docRows(await readFile(DOC, 'utf8'))
    const fromMap = Object.entries(ERROR_CODES).map(
      ([code, info]) => `| \`${code}\` | ${info.status} | ${info.peer ? 'yes' : 'no'} | ${info.retryable ? 'yes' : 'no'} | ${info.meaning} |`
    )
    assert.deepEqual(rows, fromMap)
  })

  it('knows only its own codes, not what an object inherits', () => {
    assert.equal(isErrorCode('NotFound'), true)
    assert.equal(isErrorCode('not_found'), false)
    assert.equal(isErrorCode('constructor'), false)
    assert.equal(codeFromPeer('__proto__'), 'Internal')
    assert.equal(codeFromPeer('PeerTimeout'), 'Internal')
    assert.equal(codeFromPeer('Conflict'), 'Conflict')
  })

  it('a CodedError keeps its code and cause', () => {
    const cause = new Error('inner')
    const err = new CodedError('Gone', 'subscription ended', { cause })
    assert.equal(err.code, 'Gone')
    assert.equal(err.cause, cause)
    assert.ok(err instanceof Error)
  })
})
