import assert from 'node:assert/strict'
import { DATA_PROPERTY, descriptorOf, descriptorProperties, roundDownToOneDigit, rowFingerprint } from '../../custody/index.ts'
import type { DatasetRecord } from '../../custody/index.ts'
import { CsvParser } from '../../custody/datasets/csv-parser.ts'
import { FileDigest, FingerprintList } from '../../custody/datasets/file-digest.ts'
import { prng } from '../helpers/prng.ts'

const encoder = new TextEncoder()

/** Splits `bytes` into chunks of random sizes (1 to `most`). */
function chunked(bytes: Uint8Array, next: () => number, most: number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0; at < bytes.byteLength; ) {
    const size = 1 + Math.floor(next() * most)
    chunks.push(bytes.slice(at, at + size))
    at += size
  }
  return chunks
}

describe('custody datasets: the parts', () => {
  it('fingerprints every line the same whatever the chunks, as rowFingerprint does line by line', () => {
    const text = [
      'short',
      'a line of twelve',
      'exactly12byt',
      'eleven byte',
      'with a carriage return\r',
      'x'.repeat(5000),
      '',
      'a last line without a line feed'
    ].join('\n')
    const bytes = encoder.encode(text)
    const expected = text
      .split('\n')
      .map(line => rowFingerprint(encoder.encode(line)))
      .filter(f => f !== null)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    assert.equal(expected.length, 5)
    const random = prng(7)
    for (const most of [1, 2, 3, 13, 64, 10_000]) {
      const list = new FingerprintList()
      const digest = new FileDigest(list)
      for (const chunk of chunked(bytes, random, most)) digest.update(chunk)
      digest.finish()
      assert.deepEqual([...list.sorted()], expected, `chunks of up to ${most} bytes`)
      assert.equal(digest.bytes, bytes.byteLength)
    }
  })

  it('parses CSV records the same whatever the chunks, with the line each starts on', () => {
    const text = 'a,b\r\n"x,1","two\nlines"\r\n"",""""\n\nlast,row'
    const expected = [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x,1', 'two\nlines'], line: 2 },
      { fields: ['', '"'], line: 4 },
      { fields: ['last', 'row'], line: 6 }
    ]
    const random = prng(11)
    for (const most of [1, 2, 5, 100]) {
      const records: Array<{ fields: string[]; line: number }> = []
      const parser = new CsvParser((fields, line) => records.push({ fields, line }))
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(random() * most)
        parser.push(text.slice(at, at + size))
        at += size
      }
      parser.end()
      assert.deepEqual(records, expected, `chunks of up to ${most} characters`)
    }
  })

  it('rounds the row count down to one significant digit', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [7, 7],
      [10, 10],
      [99, 90],
      [100, 100],
      [1234, 1000],
      [98_765, 90_000],
      [999_999, 900_000],
      [1_000_000, 1_000_000],
      [1_000_001, 1_000_000]
    ]
    for (const [rows, bucket] of cases) assert.equal(roundDownToOneDigit(rows), bucket, `${rows}`)
    for (let exponent = 0; exponent < 15; exponent++) {
      const power = 10 ** exponent
      assert.equal(roundDownToOneDigit(power), power)
      assert.equal(roundDownToOneDigit(power * 10 - 1), exponent === 0 ? 9 : power * 9)
    }
  })

  it('describes a dataset in agora.data.* properties: never the files or the exact count', () => {
    const record: DatasetRecord = {
      name: 'ward',
      kind: 'csv',
      description: 'admissions',
      tags: ['health'],
      source: { path: '/home/owner/ward.csv' },
      dir: '/var/agora/custody/datasets/ward',
      files: [{ path: 'data.csv', bytes: 4096, sha3: 'ab'.repeat(32) }],
      columns: [
        { name: 'age', type: 'integer' },
        { name: 'ward', type: 'text' }
      ],
      rows: 4321,
      bytes: 4096,
      price: { perUse: '0.5', perHour: '0.01' },
      addedAt: '2026-01-01T00:00:00.000Z'
    }
    const descriptor = descriptorOf(record, 'algorithms: 1 by hash')
    assert.equal(descriptor.rowsAtLeast, 4000)
    const properties = descriptorProperties(descriptor)
    assert.deepEqual(properties, {
      [DATA_PROPERTY.name]: 'ward',
      [DATA_PROPERTY.description]: 'admissions',
      [DATA_PROPERTY.tags]: ['health'],
      [DATA_PROPERTY.columns]: ['age:integer', 'ward:text'],
      [DATA_PROPERTY.rowsAtLeast]: 4000,
      [DATA_PROPERTY.bytes]: 4096,
      [DATA_PROPERTY.policy]: 'algorithms: 1 by hash',
      [DATA_PROPERTY.pricePerUse]: '0.5',
      [DATA_PROPERTY.pricePerHour]: '0.01'
    })
    const text = JSON.stringify(properties)
    assert.ok(!text.includes('/home/owner') && !text.includes('/var/agora') && !text.includes('4321') && !text.includes('abab'))
  })
})
