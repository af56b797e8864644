#!/usr/bin/env bash
# Makes sure Debian's squashfs-tools (unsquashfs, mksquashfs) are installed:
# the vm runtime unpacks GVMI images with unsquashfs, and the tests build
# them with mksquashfs. Idempotent: does nothing when both are on the PATH.
#
# Parallel test workers may call it at once: the first takes a lock and
# installs; the others wait for the lock and then find the tools in place.
set -euo pipefail

LOCK_FILE="${AGORA_SQUASHFS_LOCK:-/tmp/agora-squashfs-up.lock}"

log () { echo "squashfs-up: $*" >&2; }

as_root () {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

tools_present () { command -v unsquashfs >/dev/null && command -v mksquashfs >/dev/null; }

if tools_present; then exit 0; fi

exec 9>"$LOCK_FILE"
if ! flock -w 600 9; then log "timed out waiting for $LOCK_FILE"; exit 1; fi
if tools_present; then exit 0; fi

log "installing squashfs-tools"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq >/dev/null || true
as_root apt-get install -y -qq --no-install-recommends squashfs-tools >/dev/null
tools_present || { log "squashfs-tools installed, yet unsquashfs or mksquashfs is not on the PATH"; exit 1; }
unsquashfs -version 2>/dev/null | head -n 1 >&2 || true
