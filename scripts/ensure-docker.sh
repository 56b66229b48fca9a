#!/usr/bin/env bash
# Make sure a Docker Engine answers. Starts (and if needed installs) a local dockerd.
# Idempotent and quiet: prints nothing when the daemon already answers.
#
# Honours DOCKER_HOST:
#   unset / unix://PATH -> ping that socket; start dockerd listening on it if silent.
#   anything else       -> only check that it answers (we cannot start a remote daemon).
set -euo pipefail

# dockerd lives in /usr/sbin, which is not on every (non-root) PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

WAIT_SECS="${ENSURE_DOCKER_WAIT:-60}"
LOG=/var/log/dockerd.log

die() { echo "ensure-docker: $*" >&2; exit 1; }

sock=/var/run/docker.sock
remote=""
case "${DOCKER_HOST:-}" in
  "") ;;
  unix://*) sock="${DOCKER_HOST#unix://}" ;;
  *) remote="$DOCKER_HOST" ;;
esac

ping_docker() {
  if [ -n "$remote" ]; then
    if command -v docker >/dev/null 2>&1; then
      docker info >/dev/null 2>&1
    else
      # tcp://host:port without TLS; good enough for a liveness check.
      curl -fsS --max-time 5 "http://${remote#*://}/_ping" >/dev/null 2>&1
    fi
  else
    [ -S "$sock" ] && curl -fsS --max-time 5 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
  fi
}

ping_docker && exit 0

[ -z "$remote" ] || die "DOCKER_HOST=$remote does not answer (not starting a local daemon for a remote host)"

if ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "dockerd is not installed and we are not root; install docker.io"
  echo "ensure-docker: installing docker.io from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"
fi

# Start it unless one is already starting (e.g. a previous run still waiting, or the
# package's postinst started it via systemd). A second dockerd would fight over
# /var/lib/docker, so in that case only wait.
started=""
if pgrep -x dockerd >/dev/null 2>&1; then
  started="(a dockerd was already running, not started by this script)"
else
  [ "$(id -u)" = 0 ] || die "dockerd is not running and we are not root"
  args=()
  [ "$sock" = /var/run/docker.sock ] || args=(-H "unix://$sock")
  setsid dockerd ${args[@]+"${args[@]}"} >"$LOG" 2>&1 < /dev/null &
fi

for _ in $(seq 1 "$WAIT_SECS"); do
  ping_docker && exit 0
  sleep 1
done

echo "ensure-docker: dockerd did not answer on $sock within ${WAIT_SECS}s${started:+ $started}. Last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 2>/dev/null || true
exit 1
