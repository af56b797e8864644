// The container an activity runs in: labelled for crash recovery, cut off from
// the network unless the agreement grants it (never when it holds a dataset), bounded in memory (no swap),
// CPU and processes, with few capabilities, and kept alive by an open stdin so
// that commands can be exec'd into it.
import type Docker from 'dockerode'
import { ExeUnitError } from '../../errors.ts'
import type { RuntimeContext } from '../runtime.ts'
import { LABEL_ACTIVITY, LABEL_AGREEMENT, LABEL_NODE } from './labels.ts'

export interface Mount {
  /** Path inside the container. */
  target: string
  /** Host directory inside the activity's directory (or a granted dataset's snapshot). */
  source: string
  /** Bound read-only (a dataset at /data). */
  readOnly?: boolean
}

/** Docker refuses memory limits below 6 MiB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024

/** Enough for ordinary work as root inside the container; no raw sockets, mounts or ptrace. */
const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID']

export function containerOptions(options: {
  image: string
  imageHasCommand: boolean
  context: RuntimeContext
  mounts: Mount[]
}): Docker.ContainerCreateOptions {
  const { context } = options
  const { resources } = context
  // A dataset's activity has no network, whatever the agreement says.
  const network = resources.network && context.custody === undefined
  if (resources.memoryBytes < MIN_MEMORY_BYTES) {
    throw new ExeUnitError('BadRequest', `a container needs at least ${MIN_MEMORY_BYTES / 1024 / 1024} MiB of memory`)
  }
  return {
    Image: options.image,
    // The image's own command keeps running as long as its stdin stays open.
    ...(options.imageHasCommand ? {} : { Cmd: ['/bin/sh'] }),
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: false,
    Tty: false,
    Labels: {
      [LABEL_ACTIVITY]: context.activityId,
      [LABEL_AGREEMENT]: context.agreementId,
      [LABEL_NODE]: context.nodeId
    },
    NetworkDisabled: !network,
    HostConfig: {
      NetworkMode: network ? 'bridge' : 'none',
      Binds: options.mounts.map(mount => `${mount.source}:${mount.target}:${mount.readOnly === true ? 'ro' : 'rw'}`),
      Memory: resources.memoryBytes,
      MemorySwap: resources.memoryBytes,
      NanoCpus: Math.round(resources.threads * 1e9),
      PidsLimit: resources.pidsLimit,
      // A small init reaps the processes exec'd commands leave behind.
      Init: true,
      CapDrop: ['ALL'],
      CapAdd: CAPABILITIES,
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} }
    }
  }
}
