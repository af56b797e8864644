#!/usr/bin/env bash
# Makes sure a Docker engine answers and the test image agora-test/busybox:1
# exists. Idempotent: does nothing when both are already there.
#
# Without a running engine it installs docker.io from Debian (when dockerd is
# absent) and starts dockerd in the background, trying the default storage
# driver first and falling back to vfs, with iptables and the default bridge
# off (test containers need no network; sandboxes often lack iptables).
# The image is built locally from Debian's busybox-static, since no registry
# is reachable.
#
# Parallel test workers may call it at once: the first takes a lock and does
# the work; the others wait for the lock and then find everything in place.
set -euo pipefail

IMAGE="${AGORA_TEST_IMAGE:-agora-test/busybox:1}"
LOG_DIR="${AGORA_DOCKER_LOG_DIR:-/tmp/agora-dockerd}"
WAIT_SECONDS="${AGORA_DOCKER_WAIT_SECONDS:-60}"
LOCK_FILE="${AGORA_DOCKER_LOCK:-/tmp/agora-docker-up.lock}"
mkdir -p "$LOG_DIR"

log () { echo "docker-up: $*" >&2; }

# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

engine_answers () { docker info >/dev/null 2>&1; }

wait_for_engine () {
  local pid="$1" deadline=$((SECONDS + WAIT_SECONDS))
  while [ $SECONDS -lt $deadline ]; do
    if engine_answers; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

start_dockerd () {
  local driver="$1" logfile="$LOG_DIR/dockerd-$1.log" args
  args=(--iptables=false --ip6tables=false --bridge=none)
  if [ "$driver" != default ]; then args+=(--storage-driver "$driver"); fi
  log "starting dockerd (${driver} storage driver), log in $logfile"
  # exec keeps $! the engine's own pid; fd 9 holds the lock, which dockerd must not inherit.
  if [ "$(id -u)" = 0 ]; then
    (exec nohup dockerd "${args[@]}" >"$logfile" 2>&1 9>&-) &
  else
    (exec sudo nohup dockerd "${args[@]}" >"$logfile" 2>&1 9>&-) &
  fi
  local pid=$!
  echo "$pid" >"$LOG_DIR/dockerd.pid"
  # A storage driver may start yet fail to mount layers: prove a container runs.
  if wait_for_engine "$pid" && ensure_image && docker run --rm --network none "$IMAGE" true >/dev/null 2>&1; then
    return 0
  fi
  log "dockerd with the ${driver} storage driver did not work; last log lines:"
  tail -n 5 "$logfile" >&2 || true
  as_root kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  as_root rm -f /var/run/docker.pid
  return 1
}

ensure_engine () {
  if engine_answers; then return 0; fi
  if ! command -v dockerd >/dev/null; then
    log "installing docker.io"
    apt_install docker.io
  fi
  if engine_answers; then return 0; fi
  start_dockerd default || start_dockerd vfs || { log "dockerd failed to start"; exit 1; }
}

static_busybox () {
  if [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then return 0; fi
  if ! dpkg -s busybox-static >/dev/null 2>&1; then
    log "installing busybox-static"
    apt_install busybox-static
  fi
}

ensure_image () {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
  static_busybox
  local rootfs
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/work" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc" "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  log "importing $IMAGE"
  local status=0
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
    - "$IMAGE" >/dev/null || status=$?
  rm -rf "$rootfs"
  return $status
}

# Fast path without the lock: nothing to do.
if engine_answers && docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi

exec 9>"$LOCK_FILE"
if ! flock -w 600 9; then log "timed out waiting for $LOCK_FILE"; exit 1; fi
ensure_engine
ensure_image
docker info --format 'docker-up: engine {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupVersion}}, memory limit {{.MemoryLimit}}, pids limit {{.PidsLimit}}' >&2
