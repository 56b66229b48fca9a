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

# This daemon's own pidfile tells whether it is still starting or stopping: other dockerds on the
# machine (a test cluster's nodes, a rootless one) have their own, so a process name says nothing.
# A second dockerd on the same pidfile would fight over /var/lib/docker, so while that pid lives
# only wait; once it is gone (a daemon that was stopping), start one.
if [ "$sock" = /var/run/docker.sock ]; then
  pidfile=/var/run/docker.pid
else
  pidfile="${sock%.sock}.pid"
fi
daemon_alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; }
start_dockerd() {
  [ "$(id -u)" = 0 ] || die "dockerd is not running and we are not root"
  args=()
  [ "$sock" = /var/run/docker.sock ] || args=(-H "unix://$sock" --pidfile "$pidfile")
  setsid dockerd ${args[@]+"${args[@]}"} >"$LOG" 2>&1 < /dev/null &
}

started=""
if daemon_alive; then
  started="(the dockerd of $pidfile, pid $(cat "$pidfile"), was already running)"
else
  start_dockerd
fi

for _ in $(seq 1 "$WAIT_SECS"); do
  ping_docker && exit 0
  if [ -n "$started" ] && ! daemon_alive; then
    # The daemon that was there has exited (it was stopping): start ours now.
    started=""
    start_dockerd
  fi
  sleep 1
done

echo "ensure-docker: dockerd did not answer on $sock within ${WAIT_SECS}s${started:+ $started}. Last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 2>/dev/null || true
exit 1
