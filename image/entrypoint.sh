#!/usr/bin/env bash
# Perry workspace entrypoint. Runs as root as the container command; pid 1 is Docker's
# init (tini), which reaps zombies and forwards signals. Safe to run on every start:
# the container filesystem survives stop/start, so every step is idempotent.
set -euo pipefail

log() { echo "perry-entrypoint: $*" >&2; }

# The workspace user: PERRY_USER (workspace-base: workspace; Perry's layer on a project's
# image sets it to that image's user), its home and group from the passwd entry. This
# script also runs on Alpine (bash, BusyBox tools): no GNU-only options below.
USER_NAME=${PERRY_USER:-workspace}
passwd_entry() {
  getent passwd "$1" 2>/dev/null && return 0
  local l
  while IFS= read -r l; do
    case "$l" in "$1":*) echo "$l"; return 0 ;; esac
  done </etc/passwd
  return 1
}
if ! PASSWD_ENTRY=$(passwd_entry "$USER_NAME"); then
  log "user $USER_NAME does not exist in this image"
  exit 1
fi
IFS=: read -r _ _ _ _ _ HOME_DIR _ <<<"$PASSWD_ENTRY"
USER_GROUP=$(id -gn "$USER_NAME")

# run_as_user CMD...: exec CMD as the workspace user (util-linux runuser where present;
# BusyBox has none, sudo is always there).
run_as_user() {
  if command -v runuser >/dev/null 2>&1; then
    exec runuser -u "$USER_NAME" -- "$@"
  else
    exec sudo -n -H -u "$USER_NAME" -- "$@"
  fi
}

# --- 0. Stale runtime state ------------------------------------------------------------
# /run is not a tmpfs in a container, so pid files and sockets from the previous run
# survive a stop/start; a pid file naming a recycled pid would stop dockerd from starting.
rm -rf /var/run/docker.pid /var/run/docker /run/containerd /run/sshd.pid \
       /run/perry-worker.pid 2>/dev/null || true
mkdir -p /run/sshd

# --- a. cgroup v1: make the hierarchies writable for the inner dockerd ----------------
# Without --privileged, Docker bind-mounts each v1 hierarchy read-only (the container's
# own cgroup as the root of each). Make them writable:
#   1st choice: remount the existing bind mount read-write. This is exactly what
#      --privileged gives, and the inner containers stay nested below this container's
#      cgroup, so the workspace's CPU/memory limits also cover them.
#   fallback: the ENVIRONMENT.md recipe, umount + a fresh `mount -t cgroup -o <ctrl>`.
#      That mounts the host's whole hierarchy, so inner containers become siblings of this
#      container (outside its limits), but it works where the remount is refused.
# Controllers come from mountinfo, so co-mounted hierarchies (cpu,cpuacct) work as well.
# Skipped on cgroup v2 and for mounts that are already writable (--privileged).
remount_cgroups_v1() {
  [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] || return 0
  [ ! -e /sys/fs/cgroup/cgroup.controllers ] || return 0   # v2 (BusyBox stat says UNKNOWN)
  mountpoint -q /sys/fs/cgroup/memory 2>/dev/null || return 0
  # The tmpfs holding the mount points must be writable to create missing ones.
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  local line mp mopts sopts opts o
  set -f
  # mountinfo: id parent maj:min root MOUNTPOINT MOUNT-OPTS [optional...] - FSTYPE SRC SUPER-OPTS
  while IFS= read -r line; do
    set -- ${line%% - *}; mp=$5; mopts=$6
    set -- ${line#* - }; [ "$1" = cgroup ] || continue; sopts=$3
    case "$mp" in /sys/fs/cgroup/*) ;; *) continue ;; esac
    case ",$mopts," in *,rw,*) continue ;; esac          # already writable
    mount -o remount,rw,bind "$mp" 2>/dev/null && continue
    opts=""
    for o in ${sopts//,/ }; do
      case "$o" in rw|ro|xattr|noprefix|clone_children|cpuset_v2_mode|release_agent=*) ;;
        *) opts="${opts:+$opts,}$o" ;; esac
    done
    case "$opts" in name=*) opts="none,$opts" ;; esac    # named hierarchy, no controllers
    [ -n "$opts" ] || continue
    umount "$mp" 2>/dev/null || { log "cgroup: cannot umount $mp"; continue; }
    mkdir -p "$mp"
    mount -t cgroup -o "$opts" cgroup "$mp" || log "cgroup: cannot mount $opts on $mp"
  done < <(grep ' - cgroup ' /proc/self/mountinfo)
  set +f
  # Docker expects the systemd named hierarchy on some setups; create it if missing.
  if ! mountpoint -q /sys/fs/cgroup/systemd 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/systemd 2>/dev/null \
      && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd 2>/dev/null \
      || log "cgroup: cannot mount name=systemd"
  fi
}
remount_cgroups_v1 || log "cgroup remount failed; the inner dockerd may not work"

# --- b. Home volume ----------------------------------------------------------------------
# A fresh named volume may be empty (or root-owned); seed it like useradd -m would. An image
# made by Perry's layer keeps its own home in /opt/perry/home (home-snapshot.sh): what the
# volume lacks of it comes in once per image (a rebuild brings a new image's files), never
# over a file that is there. A home that belongs to another uid (cloned before the image's
# own user was known, or a workspace rebuilt onto another user) is given to the user.
mkdir -p "$HOME_DIR"
if [ "$(stat -c %u "$HOME_DIR")" != "$(id -u "$USER_NAME")" ]; then
  chown -R "$USER_NAME:$USER_GROUP" "$HOME_DIR"
fi
seed=/etc/skel seed_id=skel
if [ -d /opt/perry/home ] && [ -f /opt/perry/home.id ]; then
  seed=/opt/perry/home seed_id=$(cat /opt/perry/home.id)
fi
marker="$HOME_DIR/.cache/perry-home-seed"
if [ -d "$seed" ] && [ "$(cat "$marker" 2>/dev/null || true)" != "$seed_id" ]; then
  # What the home lacks comes whole (and is the user's); a directory both have gets what it
  # lacks of the image's (Perry's snapshot only: it is the user's already).
  find "$seed" -mindepth 1 -maxdepth 1 | while IFS= read -r entry; do
    name=${entry##*/}
    if [ ! -e "$HOME_DIR/$name" ] && [ ! -L "$HOME_DIR/$name" ]; then
      cp -a "$entry" "$HOME_DIR/$name" && chown -R "$USER_NAME:$USER_GROUP" "$HOME_DIR/$name" \
        || log "home: $name could not be copied from $seed"
    elif [ "$seed" = /opt/perry/home ] && [ -d "$entry" ] && [ ! -L "$entry" ] \
        && [ -d "$HOME_DIR/$name" ] && [ ! -L "$HOME_DIR/$name" ]; then
      cp -an "$entry"/. "$HOME_DIR/$name"/ 2>/dev/null || log "home: some of $name could not be copied from $seed"
    fi
  done || log "home: seeding from $seed stopped early"
  { mkdir -p "$HOME_DIR/.cache" && printf '%s\n' "$seed_id" >"$marker" \
      && chown "$USER_NAME:$USER_GROUP" "$HOME_DIR/.cache" "$marker"; } \
    || log "home: cannot write $marker"
fi
chown "$USER_NAME:$USER_GROUP" "$HOME_DIR"

# --- c. SSH authorized keys ----------------------------------------------------------------
if [ -n "${PERRY_SSH_AUTHORIZED_KEYS:-}" ]; then
  install -d -m 0700 -o "$USER_NAME" -g "$USER_GROUP" "$HOME_DIR/.ssh"
  tmp="$(mktemp "$HOME_DIR/.ssh/.authorized_keys.XXXXXX")"
  printf '%s\n' "$PERRY_SSH_AUTHORIZED_KEYS" > "$tmp"
  chown "$USER_NAME:$USER_GROUP" "$tmp"; chmod 0600 "$tmp"
  mv -f "$tmp" "$HOME_DIR/.ssh/authorized_keys"
fi

# --- helpers -----------------------------------------------------------------------------
# supervise NAME LOGFILE CMD...: run CMD forever in the background, restarting it 2 s
# after it exits. Output goes to LOGFILE; starts and exits also go to the container's log
# (`perry logs`), so a service that keeps dying shows there.
supervise() {
  local name=$1 logf=$2 rc; shift 2
  (
    trap 'exit 0' TERM INT
    while :; do
      echo "--- $(date -u +%FT%TZ) starting $name" >>"$logf"
      log "starting $name (its output: $logf)"
      rc=0; "$@" >>"$logf" 2>&1 </dev/null || rc=$?
      echo "--- $(date -u +%FT%TZ) $name exited ($rc)" >>"$logf"
      log "$name exited ($rc); restarting in 2 s"
      sleep 2
    done
  ) &
  SUPERVISORS+=("$!")
}
SUPERVISORS=()

# --- c2. Host name --------------------------------------------------------------------------
# Kubernetes names a StatefulSet's pod <set>-0 whatever the template says; the prompt and
# `hostname` should say the workspace's name, as they do on Docker.
if [ -n "${PERRY_HOSTNAME:-}" ] && [ "$(hostname)" != "$PERRY_HOSTNAME" ]; then
  if hostname "$PERRY_HOSTNAME" 2>/dev/null; then
    grep -qw -- "$PERRY_HOSTNAME" /etc/hosts || echo "127.0.1.1 $PERRY_HOSTNAME" >>/etc/hosts
  else
    log "cannot set the host name to $PERRY_HOSTNAME"
  fi
fi

# --- d. sshd -------------------------------------------------------------------------------
# Host keys are generated on first start only (not baked into the image) and kept on the
# inner-Docker volume, so they stay the same when the container is made anew (a pod the
# cluster moved to another node, a container removed outside Perry): ssh clients that know
# the workspace keep trusting it. The volume's copy wins over what the container has.
HOST_KEYS=/var/lib/docker/.perry-ssh-host-keys
install -d -m 0700 "$HOST_KEYS"
cp -p "$HOST_KEYS"/ssh_host_* /etc/ssh/ 2>/dev/null || true
ssh-keygen -A >/dev/null || log "ssh-keygen -A failed"
cp -p /etc/ssh/ssh_host_* "$HOST_KEYS"/ 2>/dev/null || log "cannot keep the SSH host keys"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)          # sshd needs its absolute path
if "$SSHD" -t 2>/tmp/sshd-config.err; then
  supervise sshd /var/log/sshd.log "$SSHD" -D -e
else
  log "sshd config invalid: $(cat /tmp/sshd-config.err)"
fi

# --- e. inner dockerd --------------------------------------------------------------------
# Unix socket only (no TCP); data on /var/lib/docker, which is a volume so overlay2 works.
DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)  # Alpine: /usr/bin/dockerd
supervise dockerd /var/log/dockerd.log \
  "$DOCKERD" --host=unix:///var/run/docker.sock --data-root=/var/lib/docker
DOCKERD_SUPERVISOR=$!

# --- f. perry-worker ---------------------------------------------------------------------
# The agent may copy the binary in after the container started, so keep checking.
WORKER=/usr/local/bin/perry-worker
(
  trap 'exit 0' TERM INT
  while :; do
    if [ -x "$WORKER" ]; then
      echo "--- $(date -u +%FT%TZ) starting perry-worker" >>/var/log/perry-worker.log
      log "starting perry-worker (its output: /var/log/perry-worker.log)"
      rc=0
      (cd "$HOME_DIR" && run_as_user "$WORKER" serve) \
        >>/var/log/perry-worker.log 2>&1 </dev/null || rc=$?
      echo "--- $(date -u +%FT%TZ) perry-worker exited ($rc)" >>/var/log/perry-worker.log
      log "perry-worker exited ($rc)"
    fi
    sleep 3
  done
) &
SUPERVISORS+=("$!")

# --- g. stay alive -------------------------------------------------------------------------
# The container lives as long as this process, whatever happens to the services above.
# On stop, tini forwards SIGTERM here; pass it on to dockerd and wait for it, so inner
# containers are stopped and the daemon's state is flushed. No timeout of our own: the
# outer `docker stop` timeout (default 10 s) decides when everything is killed. Inner
# containers get 10 s each too, so give a longer stop timeout if they must stop cleanly.
shutdown() {
  kill -TERM "${SUPERVISORS[@]}" 2>/dev/null || true   # no more restarts
  # -P: only our dockerd, not a dockerd running inside an inner container.
  pkill -TERM -P "$DOCKERD_SUPERVISOR" -x dockerd 2>/dev/null || true
  while pgrep -P "$DOCKERD_SUPERVISOR" -x dockerd >/dev/null; do sleep 0.2; done
  exit 0
}
trap shutdown TERM INT
sleep infinity &
wait $! || true
while :; do sleep infinity & wait $! || true; done
