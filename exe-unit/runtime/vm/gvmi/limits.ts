// Bounds on a GVMI package beyond its download size (the package store's
// maxPackageBytes): all are checked before anything is unpacked.
export interface GvmiLimits {
  /** Largest metadata block (gvmkit-build writes a few KiB). */
  maxMetadataBytes: number
  /** Most bytes the image's regular files may unpack to. */
  maxUnpackedBytes: number
  /** Most entries (files, directories, links) the image may hold. */
  maxFiles: number
}

export const DEFAULT_GVMI_LIMITS: GvmiLimits = {
  maxMetadataBytes: 1024 * 1024,
  maxUnpackedBytes: 8 * 1024 ** 3,
  maxFiles: 500_000
}
