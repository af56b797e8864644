# Shared by the scripts/*-up.sh scripts: root commands, and Debian package
# installs that wait for each other. Parallel test workers may run several of
# those scripts at once (chromium, docker, squashfs, netns); apt and dpkg
# allow one install at a time, so each install takes one lock shared by them
# all, and waits for dpkg's own lock too (another program may hold it).
# Sourced, not run: expects `log` to be defined by the script.

AGORA_APT_LOCK="${AGORA_APT_LOCK:-/tmp/agora-apt.lock}"

as_root () {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

# apt_install <package>...: installs them quietly, without recommended packages.
apt_install () {
  (
    exec 8>"$AGORA_APT_LOCK"
    if ! flock -w 900 8; then log "timed out waiting for $AGORA_APT_LOCK"; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 8>&- 9>&- || true
    as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null 8>&- 9>&-
  )
}
