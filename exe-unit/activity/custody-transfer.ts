// Transfers of an activity granted a dataset: only files of /out leave, each
// through the grant (the output guard) after being copied aside, so that what
// was checked is what leaves; nothing reads /data or writes into it, and
// nothing goes over http.
import { randomBytes } from 'node:crypto'
import { mkdir, rm, stat } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { join, posix } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DATA_MOUNT, OUTPUT_MOUNT, SECAGG_SCHEME } from '../custody.ts'
import type { CustodyGrant } from '../custody.ts'
import { ExeUnitError } from '../errors.ts'
import { bounded } from '../transfer/bounded.ts'
import { parseEndpoint } from '../transfer/endpoint.ts'
import { transferFile } from '../transfer/transfer.ts'
import type { TransferContext, TransferOutcome } from '../transfer/transfer.ts'
import { openVolumeFileForRead } from '../transfer/volume-file.ts'

/** Where checked copies wait (outside every volume); the synthetic path they are read from. */
const STAGED = '/.staged'

function under(path: string, mount: string): boolean {
  return path === mount || path.startsWith(`${mount}/`)
}

function forbidden(message: string): ExeUnitError {
  return new ExeUnitError('Forbidden', message)
}

export async function custodyTransfer(
  from: string,
  to: string,
  grant: CustodyGrant,
  context: TransferContext & { stagingDir: string }
): Promise<TransferOutcome> {
  const source = parseEndpoint(from, 'from')
  const secagg = to.startsWith(SECAGG_SCHEME)
  const target = secagg ? null : parseEndpoint(to, 'to')
  if (source.kind === 'http' || target?.kind === 'http') {
    throw forbidden('an activity on a dataset has no network: http transfers are refused')
  }
  if (target?.kind === 'container' && under(target.path, DATA_MOUNT)) {
    throw forbidden(`container:${target.path}: the dataset at ${DATA_MOUNT} is read-only`)
  }
  if (source.kind !== 'container') {
    if (secagg) throw new ExeUnitError('BadRequest', `transfer: a secure aggregation takes a file of ${OUTPUT_MOUNT}`)
    return await transferFile(from, to, context)
  }
  if (!under(source.path, OUTPUT_MOUNT) || source.path === OUTPUT_MOUNT) {
    throw forbidden(`only files of ${OUTPUT_MOUNT} leave an activity on a dataset; container:${source.path} may not`)
  }
  const location = context.hostLocation(source.path)
  if (location === null) throw new ExeUnitError('BadRequest', `container:${source.path} is outside the activity's volumes`)
  await mkdir(context.stagingDir, { recursive: true })
  const name = randomBytes(8).toString('hex')
  const staged = join(context.stagingDir, name)
  try {
    // Copied first: a workload still running (a container) cannot change the file between the check and the send.
    const input = await openVolumeFileForRead(location, source.path)
    await pipeline(Readable.from(bounded(input, context.maxBytes, 'transferred file')), createWriteStream(staged, { flags: 'wx' }), {
      signal: context.signal
    })
    const file = { containerPath: source.path, hostPath: staged, bytes: (await stat(staged)).size, destination: to }
    if (secagg) {
      await grant.contribute(file, context.signal)
      return { bytes: file.bytes }
    }
    await grant.release(file, context.signal)
    const stagedPath = posix.join(STAGED, name)
    return await transferFile(`container:${stagedPath}`, to, {
      ...context,
      hostLocation: path => (path === stagedPath ? { root: context.stagingDir, path: staged } : context.hostLocation(path))
    })
  } finally {
    await rm(staged, { force: true })
  }
}
