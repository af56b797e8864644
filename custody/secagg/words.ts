// A vector of Z_{2^64} words on the wire: little-endian bytes, base64.
import { CodedError } from '../../net/kernel.ts'

export function wordsToBase64(words: BigUint64Array): string {
  const bytes = new Uint8Array(words.length * 8)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < words.length; i++) view.setBigUint64(i * 8, words[i]!, true)
  return Buffer.from(bytes).toString('base64')
}

export function base64ToWords(text: string, length: number): BigUint64Array {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.byteLength !== length * 8) throw new CodedError('BadRequest', `a masked input of ${length} values is ${length * 8} bytes, not ${bytes.byteLength}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const words = new BigUint64Array(length)
  for (let i = 0; i < length; i++) words[i] = view.getBigUint64(i * 8, true)
  return words
}
