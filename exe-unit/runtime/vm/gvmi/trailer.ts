// Golem's GVMI layout (as gvmkit-build writes it and ya-runtime-vm reads it):
// a squashfs image, then the image's container config as JSON, framed by its
// CRC-32 (IEEE, 4 bytes little-endian) before it and its length (8 ASCII
// decimal digits) after it, at the very end of the file.
//   [ squashfs … ][ crc32 LE ][ JSON config ][ "00001234" ]
import type { FileHandle } from 'node:fs/promises'
import { crc32 } from 'node:zlib'
import { ExeUnitError } from '../../../errors.ts'

const LENGTH_DIGITS = 8
const CRC_BYTES = 4

export interface GvmiTrailer {
  /** Bytes before the metadata block: the squashfs image and its padding. */
  imageBytes: number
  /** The metadata block parsed as JSON (not yet checked). */
  config: unknown
}

/** Reads and checks the metadata block at the end of a GVMI file; reads no more than `maxMetadataBytes` of it. */
export async function readTrailer(file: FileHandle, maxMetadataBytes: number): Promise<GvmiTrailer> {
  const { size } = await file.stat()
  if (size < LENGTH_DIGITS + CRC_BYTES) throw bad(`it is ${size} bytes long, too short for the metadata trailer`)
  const lengthText = (await readAt(file, size - LENGTH_DIGITS, LENGTH_DIGITS)).toString('latin1')
  if (!/^\d{8}$/.test(lengthText)) throw bad('it does not end in the 8-digit metadata length (truncated, or not a GVMI image)')
  const metadataBytes = Number(lengthText)
  if (metadataBytes > maxMetadataBytes) throw bad(`its metadata block is ${metadataBytes} bytes, more than the ${maxMetadataBytes} allowed`)
  const imageBytes = size - LENGTH_DIGITS - metadataBytes - CRC_BYTES
  if (imageBytes < 0) throw bad(`its metadata length (${metadataBytes} bytes) is larger than the file`)
  const framed = await readAt(file, imageBytes, CRC_BYTES + metadataBytes)
  const json = framed.subarray(CRC_BYTES)
  if (crc32(json) !== framed.readUInt32LE(0)) throw bad('its metadata block fails its CRC-32 check (truncated or damaged)')
  let config: unknown
  try {
    config = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json))
  } catch {
    throw bad('its metadata block is not JSON')
  }
  return { imageBytes, config }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await file.read(buffer, 0, length, position)
  if (bytesRead !== length) throw bad('it changed while being read')
  return buffer
}

/** A refusal naming the problem; a tool's own words (`detail`) stay in the cause, for the provider's log. */
export function bad(problem: string, detail?: string): ExeUnitError {
  return new ExeUnitError('BadRequest', `the GVMI package is refused: ${problem}`, detail === undefined ? undefined : { cause: new Error(detail) })
}
