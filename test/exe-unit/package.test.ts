import assert from 'node:assert/strict'
import { parseTaskPackage } from '../../exe-unit/index.ts'

describe('exe-unit task packages', () => {
  it('reads hash:sha3:<hex>:<url> and picks the SHA-3 size by digest length', () => {
    const hex224 = 'a'.repeat(56)
    assert.deepEqual(parseTaskPackage(`hash:sha3:${hex224}:http://example.com/image.gvmi`), {
      algorithm: 'sha3-224',
      digest: hex224,
      url: new URL('http://example.com/image.gvmi')
    })
    assert.equal(parseTaskPackage(`hash://sha3:${'B'.repeat(64)}:https://x/y`).algorithm, 'sha3-256')
    assert.equal(parseTaskPackage(`hash:sha3:${'b'.repeat(64)}:https://x/y`).digest, 'b'.repeat(64))
    assert.equal(parseTaskPackage(`hash:sha3:${'c'.repeat(128)}:file:///srv/p.wasm`).algorithm, 'sha3-512')
  })

  it('refuses anything else with a clear error', () => {
    assert.throws(() => parseTaskPackage('http://example.com/image'), /not of the form hash:sha3:<hex digest>:<url>/)
    assert.throws(() => parseTaskPackage(`hash:sha2:${'a'.repeat(64)}:http://x/y`), /not of the form/)
    assert.throws(() => parseTaskPackage(`hash:sha3:${'a'.repeat(50)}:http://x/y`), /50 hex digits, not a SHA-3 length/)
    assert.throws(() => parseTaskPackage(`hash:sha3:${'a'.repeat(64)}:not a url`), /is not a URL/)
    assert.throws(() => parseTaskPackage(`hash:sha3:${'a'.repeat(64)}:ftp://x/y`), /scheme ftp: is not supported/)
  })
})
