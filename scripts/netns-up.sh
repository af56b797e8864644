#!/usr/bin/env bash
# Makes sure the tools of the network-namespace tests are installed: ip
# (iproute2) and iptables, whose MASQUERADE rule makes a namespace a NAT
# router. Idempotent: does nothing when both are there.
#
# Without them it installs Debian's iproute2 and iptables packages. Parallel
# test workers may call it at once: the first takes a lock and installs; the
# others wait for the lock and then find everything in place.
set -euo pipefail

LOCK_FILE="${AGORA_NETNS_LOCK:-/tmp/agora-netns-up.lock}"

log () { echo "netns-up: $*" >&2; }

# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

# iptables in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

found () { command -v ip >/dev/null && command -v iptables >/dev/null; }

if found; then exit 0; fi

exec 9>"$LOCK_FILE"
if ! flock -w 600 9; then log "timed out waiting for $LOCK_FILE"; exit 1; fi
if found; then exit 0; fi
packages=()
command -v ip >/dev/null || packages+=(iproute2)
command -v iptables >/dev/null || packages+=(iptables)
log "installing ${packages[*]}"
apt_install "${packages[@]}"
found || { log "ip or iptables is not on PATH after installing them"; exit 1; }
