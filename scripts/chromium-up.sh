#!/usr/bin/env bash
# Makes sure a Chromium the browser tests can drive is installed, and prints
# its path on stdout. Idempotent: does nothing but print when it is there.
#
# Without one it installs Debian's chromium package. Parallel test workers may
# call it at once: the first takes a lock and installs; the others wait for
# the lock and then find it in place.
set -euo pipefail

LOCK_FILE="${AGORA_CHROMIUM_LOCK:-/tmp/agora-chromium-up.lock}"

log () { echo "chromium-up: $*" >&2; }

# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

found () {
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null; then command -v "$name"; return 0; fi
  done
  return 1
}

if found; then exit 0; fi

exec 9>"$LOCK_FILE"
if ! flock -w 900 9; then log "timed out waiting for $LOCK_FILE"; exit 1; fi
if found; then exit 0; fi
log "installing chromium"
apt_install chromium fonts-dejavu-core
found || { log "chromium is not on PATH after installing it"; exit 1; }
