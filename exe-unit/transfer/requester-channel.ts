// Files that travel between the requester's machine and the activity, named by
// URLs such as agora-requester:<transferId>. The network carries them; the
// exe-unit only reads from and writes to this channel.
export interface RequesterFileChannel {
  /** The bytes of a file the requester offers under `url`. */
  read: (url: string, signal?: AbortSignal) => AsyncIterable<Uint8Array>
  /** Delivers a file to the requester under `url`; resolves once it is accepted. */
  write: (url: string, data: AsyncIterable<Uint8Array>, signal?: AbortSignal) => Promise<void>
}

/** URL schemes served by the requester channel (gftp: as Golem's requesters name theirs). */
export const REQUESTER_SCHEMES = ['agora-requester:', 'gftp:'] as const
