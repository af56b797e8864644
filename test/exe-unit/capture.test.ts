import assert from 'node:assert/strict'
import { MAX_EVENT_OUTPUT_BYTES, createOutputSink, cutMarker } from '../../exe-unit/activity/capture.ts'
import type { CommandOutput } from '../../exe-unit/activity/capture.ts'
import type { CaptureMode } from '../../exe-unit/exescript/types.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function capture(mode: CaptureMode | null, chunks: string[], maxBytes = 1024): { result: string | undefined; cut: number; events: CommandOutput[] } {
  const events: CommandOutput[] = []
  const sink = createOutputSink(mode, output => events.push(output), maxBytes)
  for (const chunk of chunks) sink.write(bytes(chunk))
  const { value, cutBytes } = sink.end()
  return { result: value, cut: cutBytes, events }
}

describe('exe-unit capture modes', () => {
  const chunks = ['0123', '456', '789abc', 'def']

  it('atEnd keeps the head, the tail, or both across chunk borders', () => {
    assert.equal(capture({ atEnd: { part: { head: 6 }, format: 'str' } }, chunks).result, `012345${cutMarker(10)}`)
    assert.equal(capture({ atEnd: { part: { tail: 5 }, format: 'str' } }, chunks).result, `${cutMarker(11)}bcdef`)
    assert.equal(capture({ atEnd: { part: { headTail: 7 }, format: 'str' } }, chunks).result, `0123${cutMarker(9)}def`)
    assert.deepEqual(capture({ atEnd: { part: { headTail: 100 }, format: 'str' } }, chunks), { result: '0123456789abcdef', cut: 0, events: [] })
  })

  it('atEnd without a part is bounded by the provider', () => {
    assert.deepEqual(capture({ atEnd: { format: 'str' } }, chunks, 8), { result: `0123${cutMarker(8)}cdef`, cut: 8, events: [] })
  })

  it('atEnd bin leaves the marker out of the bytes and counts what was cut', () => {
    const { result, cut } = capture({ atEnd: { part: { head: 2 }, format: 'bin' } }, ['abcd'])
    assert.equal(result, Buffer.from('ab').toString('base64'))
    assert.equal(cut, 2)
  })

  it('keeps a bounded head and tail of far more output than it keeps', () => {
    const events: CommandOutput[] = []
    const sink = createOutputSink({ atEnd: { part: { headTail: 4 }, format: 'str' } }, output => events.push(output), 1024)
    const chunk = new Uint8Array(1024 * 1024).fill(0x78)
    for (let i = 0; i < 64; i++) sink.write(chunk)
    const { value, cutBytes } = sink.end()
    assert.equal(cutBytes, 64 * 1024 * 1024 - 4)
    assert.equal(value, `xx${cutMarker(cutBytes)}xx`)
  })

  it('atEnd bin returns base64 and emits no events', () => {
    const { result, events } = capture({ atEnd: { format: 'bin' } }, ['\u0000\u0001', 'ab'])
    assert.equal(result, Buffer.from([0, 1, 97, 98]).toString('base64'))
    assert.deepEqual(events, [])
  })

  it('stream emits each chunk as it comes, up to its limit, and returns nothing at end', () => {
    const { result, cut, events } = capture({ stream: { limit: 9, format: 'str' } }, chunks)
    assert.equal(result, undefined)
    assert.equal(cut, 7)
    assert.deepEqual(events, [{ str: '0123' }, { str: '456' }, { str: '78' }, { str: cutMarker(7) }])
  })

  it('stream splits a large write into bounded events', () => {
    const events: CommandOutput[] = []
    const sink = createOutputSink({ stream: { format: 'bin' } }, output => events.push(output), 1024 * 1024)
    sink.write(new Uint8Array(3 * MAX_EVENT_OUTPUT_BYTES + 1))
    sink.end()
    assert.deepEqual(
      events.map(e => ('bin' in e ? Buffer.from(e.bin, 'base64').byteLength : -1)),
      [MAX_EVENT_OUTPUT_BYTES, MAX_EVENT_OUTPUT_BYTES, MAX_EVENT_OUTPUT_BYTES, 1]
    )
  })

  it('stream str keeps a multi-byte character split across chunks whole', () => {
    const events: CommandOutput[] = []
    const sink = createOutputSink({ stream: { format: 'str' } }, output => events.push(output), 1024)
    const euro = bytes('€') // three bytes
    sink.write(Uint8Array.of(0x61, euro[0] as number))
    sink.write(euro.subarray(1))
    sink.end()
    assert.equal(events.map(e => ('str' in e ? e.str : '')).join(''), 'a€')
    assert.ok(events.every(e => 'str' in e && !e.str.includes('\uFFFD')))
  })

  it('stream bin emits base64 chunks', () => {
    const { events } = capture({ stream: { format: 'bin' } }, ['ab', 'c'])
    assert.deepEqual(events, [{ bin: 'YWI=' }, { bin: 'Yw==' }])
  })

  it('an output that is not captured yields nothing', () => {
    assert.deepEqual(capture(null, chunks), { result: undefined, cut: 0, events: [] })
  })
})
