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

# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

tools_present () { command -v unsquashfs >/dev/null && command -v mksquashfs >/dev/null; }

if tools_present; then exit 0; fi

exec 9>"$LOCK_FILE"
if ! flock -w 600 9; then log "timed out waiting for $LOCK_FILE"; exit 1; fi
if tools_present; then exit 0; fi

log "installing squashfs-tools"
apt_install squashfs-tools
tools_present || { log "squashfs-tools installed, yet unsquashfs or mksquashfs is not on the PATH"; exit 1; }
unsquashfs -version 2>/dev/null | head -n 1 >&2 || true
