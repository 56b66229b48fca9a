#!/bin/sh
# Perry's layer, run as root once at image build (see Dockerfile.template). POSIX sh:
# the base image may have no bash yet. Installs only what the image lacks, so on an
# image that already is a Perry workspace it changes (almost) nothing.
#   PERRY_USER          the workspace user (default: workspace)
#   PERRY_REMOTE_USER   the person's own account in the image (devcontainer remoteUser), which
#                       PERRY_USER becomes a second name of (see "the user" below)
# Exit 3 with one `perry: ` line on stderr when the distribution is not supported, 4 when its
# package manager fails (no network, no mirror).
set -eu

PERRY_USER=${PERRY_USER:-workspace}
P=/opt/perry
say() { echo "perry: $*" >&2; }

# --- distribution ---------------------------------------------------------------------
ID=; ID_LIKE=; PRETTY_NAME=
for f in /etc/os-release /usr/lib/os-release; do
  if [ -r "$f" ]; then . "$f"; break; fi
done
family=
case "$ID" in
  debian|ubuntu) family=debian ;;
  alpine) family=alpine ;;
  *) case " $ID_LIKE " in
       *" debian "*|*" ubuntu "*) family=debian ;;
       *" alpine "*) family=alpine ;;
     esac ;;
esac
distro=${PRETTY_NAME:-${ID:-an image without /etc/os-release}}
unsupported() {
  say "cannot build a workspace from $distro$1: Perry's layer supports Debian, Ubuntu and Alpine based images"
  exit 3
}
case "$family" in
  debian) command -v apt-get >/dev/null 2>&1 || unsupported " (no apt-get)" ;;
  alpine) command -v apk >/dev/null 2>&1 || unsupported " (no apk)" ;;
  *) unsupported "" ;;
esac

# --- packages: only those whose command (or file) is missing ---------------------------
missing=
# path_of COMMAND: its file on PATH (`command -v` in BusyBox's sh may name an applet instead).
path_of() {
  _po_ifs=$IFS; IFS=:
  for _d in $PATH; do
    if [ -x "$_d/$1" ]; then IFS=$_po_ifs; echo "$_d/$1"; return 0; fi
  done
  IFS=$_po_ifs; return 1
}
# need COMMAND|/PATH[:/PATH2] DEBIAN-PACKAGE ALPINE-PACKAGE   (- = none needed there)
need() {
  case "$1" in
    /*) _old_ifs=$IFS; IFS=:
        for _p in $1; do if [ -e "$_p" ]; then IFS=$_old_ifs; return 0; fi; done
        IFS=$_old_ifs ;;
    *) command -v "$1" >/dev/null 2>&1 && return 0 ;;
  esac
  if [ "$family" = debian ]; then _pkg=$2; else _pkg=$3; fi
  [ "$_pkg" = - ] && return 0
  case " $missing " in *" $_pkg "*) ;; *) missing="$missing $_pkg" ;; esac
}
need dockerd        docker.io       docker
need containerd     containerd      containerd
need runc           runc            runc
need iptables       iptables        iptables
need sshd           openssh-server  openssh-server
need ssh-keygen     openssh-client  openssh-keygen
need /usr/lib/openssh/sftp-server:/usr/lib/ssh/sftp-server openssh-sftp-server openssh-sftp-server
need sudo           sudo            sudo
need git            git             git
need curl           curl            curl
need update-ca-certificates ca-certificates ca-certificates
need bash           bash            bash
need useradd        passwd          shadow
need usermod        passwd          shadow
need groupadd       passwd          shadow
need pkill          procps          -      # BusyBox has pgrep/pkill/mountpoint
need mountpoint     util-linux      -
need xz             xz-utils        xz     # docker load of xz archives
# What Perry runs in a workspace besides the entrypoint: `runuser -u` (scripts, Kubernetes
# exec), GNU `timeout --kill-after`, `sed -u`. BusyBox has no runuser and its timeout and sed
# lack those options, so a BusyBox applet counts as missing.
need runuser        util-linux      runuser
need_gnu() { # COMMAND DEBIAN-PACKAGE ALPINE-PACKAGE
  _c=$(path_of "$1") || _c=
  if [ -n "$_c" ]; then
    case "$(readlink -f "$_c" 2>/dev/null || echo "$_c")" in */busybox*) ;; *) return 0 ;; esac
  fi
  need /nonexistent "$2" "$3"
}
need_gnu timeout    coreutils       coreutils
need_gnu sed        sed             sed

if [ -n "$missing" ]; then
  say "installing$missing"
  case "$family" in
    debian)
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q >/dev/null || { say "apt-get update failed"; exit 4; }
      # shellcheck disable=SC2086
      apt-get install -y -q --no-install-recommends $missing >/dev/null \
        || { say "apt-get install$missing failed"; exit 4; }
      apt-get clean
      rm -rf /var/lib/apt/lists/* ;;
    alpine)
      # shellcheck disable=SC2086
      apk add --no-cache $missing >/dev/null || { say "apk add$missing failed"; exit 4; } ;;
  esac
else
  say "all system packages present"
fi

# Perry calls a few tools by absolute path (/usr/bin/pgrep, /usr/sbin/runuser, ...); where
# the image has them elsewhere (BusyBox's /bin/stat), link them there.
for p in /usr/bin/pgrep /usr/bin/pkill /usr/bin/stat /usr/bin/head /usr/sbin/runuser; do
  if [ ! -e "$p" ] && _c=$(path_of "${p##*/}"); then
    mkdir -p "${p%/*}"; ln -s "$_c" "$p"
  fi
done

# --- CA certificates (the host's extra ones) --------------------------------------------
mkdir -p /usr/local/share/ca-certificates
for c in "$P"/ca-certificates/*.crt; do
  if [ -f "$c" ]; then cp "$c" /usr/local/share/ca-certificates/; fi
done
update-ca-certificates >/dev/null 2>&1 || say "warning: update-ca-certificates failed"

# --- the user --------------------------------------------------------------------------
passwd_field() {  # USER FIELD-NUMBER (1-based)
  _e=$(getent passwd "$1" 2>/dev/null) || _e=$(grep "^$1:" /etc/passwd | head -n 1) || true
  [ -n "$_e" ] || return 1
  echo "$_e" | cut -d: -f"$2"
}
# The person's own account (devcontainer remoteUser, else containerUser, else the image's
# USER): PERRY_REMOTE_USER, a name or uid (":group" ignored); PERRY_REMOTE_USER_FROM_IMAGE=1
# when it is the image's USER, which is taken only when it is a regular user (uid 1000-59999),
# not a system account. Perry's `workspace` becomes a second name of that account (same uid and
# gid, listed after it, so `whoami` and `ls` say the account's own name). Its home moves to
# /home/$PERRY_USER (the home volume) with a link from the old place (only a home under /home:
# a system directory stays where it is), so terminals, SSH, sync and the worker find everything
# where Perry puts it while the image's own paths keep working. As the devcontainer CLI's
# updateRemoteUserUID does, the account gets uid (and gid) 1000 where they are free, the uid
# Perry's files are made with; its files anywhere in the image follow. root is not taken:
# Perry's user stays a user of its own with passwordless sudo.
REMOTE=${PERRY_REMOTE_USER:-}
REMOTE=${REMOTE%%:*}
case "$REMOTE" in
  ''|root|0|"$PERRY_USER") REMOTE="" ;;
  *[!0-9]*) ;;
  *) REMOTE=$(awk -F: -v u="$REMOTE" '$3 == u { print $1; exit }' /etc/passwd)
     [ -n "$REMOTE" ] || say "user ${PERRY_REMOTE_USER%%:*} is no user of the image; Perry's user is $PERRY_USER" ;;
esac
if [ -n "$REMOTE" ] && [ -n "${PERRY_REMOTE_USER_FROM_IMAGE:-}" ]; then
  uid=$(passwd_field "$REMOTE" 3 || echo 0)
  if [ "$uid" -lt 1000 ] || [ "$uid" -ge 60000 ]; then
    say "the image's USER $REMOTE is a system account: Perry's user stays $PERRY_USER"
    REMOTE=""
  fi
fi
if [ -n "$REMOTE" ] && passwd_field "$PERRY_USER" 1 >/dev/null; then
  say "the image has a user $PERRY_USER of its own; $REMOTE stays a user apart"
  REMOTE=""
fi
if [ -n "$REMOTE" ]; then
  TARGET=/home/$PERRY_USER
  if ! passwd_field "$REMOTE" 1 >/dev/null; then
    uid_opt="-u 1000"
    if cut -d: -f3 /etc/passwd | grep -qx 1000; then uid_opt=""; fi
    if cut -d: -f1 /etc/group | grep -qx "$REMOTE"; then grp_opt="-g $REMOTE"; else grp_opt="-U"; fi
    # shellcheck disable=SC2086
    useradd $uid_opt $grp_opt -m -d "$TARGET" -s /bin/bash "$REMOTE"
    say "created user $REMOTE"
  fi
  OLD_HOME=$(passwd_field "$REMOTE" 6 || true)
  if [ "$OLD_HOME" != "$TARGET" ]; then
    mkdir -p "$TARGET"
    case "$OLD_HOME" in
      /home/?*)
        if [ -d "$OLD_HOME" ] && [ ! -L "$OLD_HOME" ]; then
          cp -a "$OLD_HOME"/. "$TARGET"/
          rm -rf "$OLD_HOME"
        fi
        if [ ! -e "$OLD_HOME" ] && [ ! -L "$OLD_HOME" ]; then ln -s "$TARGET" "$OLD_HOME"; fi ;;
      *) say "$REMOTE's home ${OLD_HOME:-(none)} is not under /home: left where it is" ;;
    esac
    usermod -d "$TARGET" "$REMOTE"
  fi
  OLD_UID=$(id -u "$REMOTE") OLD_GID=$(id -g "$REMOTE")
  if [ "$OLD_UID" != 1000 ] && ! cut -d: -f3 /etc/passwd | grep -qx 1000; then
    usermod -u 1000 "$REMOTE"
    find / -xdev -uid "$OLD_UID" -exec chown -h 1000 {} + 2>/dev/null || true
    say "$REMOTE's uid $OLD_UID is now 1000"
  fi
  if [ "$OLD_GID" != 1000 ] && ! cut -d: -f3 /etc/group | grep -qx 1000 \
      && [ "$(awk -F: -v g="$OLD_GID" '$4 == g' /etc/passwd | wc -l)" -eq 1 ]; then
    groupmod -g 1000 "$(id -gn "$REMOTE")"
    find / -xdev -gid "$OLD_GID" -exec chgrp -h 1000 {} + 2>/dev/null || true
  fi
  chown "$(id -u "$REMOTE"):$(id -g "$REMOTE")" "$TARGET"
  SHELL_OF=$(passwd_field "$REMOTE" 7 || true)
  echo "$PERRY_USER:x:$(id -u "$REMOTE"):$(id -g "$REMOTE"):$REMOTE (Perry's name for it):$TARGET:${SHELL_OF:-/bin/bash}" >>/etc/passwd
  if [ -f /etc/shadow ]; then echo "$PERRY_USER:*:19000:0:99999:7:::" >>/etc/shadow; fi
  # The second name is in every group the account is in (group lists go by name).
  for g in $(id -Gn "$REMOTE"); do
    [ "$g" = "$(id -gn "$REMOTE")" ] || usermod -a -G "$g" "$PERRY_USER"
  done
  say "Perry's user $PERRY_USER is $REMOTE's account (uid $(id -u "$REMOTE")), home $TARGET"
fi
if passwd_field "$PERRY_USER" 1 >/dev/null; then
  say "using the image's user $PERRY_USER"
else
  uid_opt="-u 1000"
  if getent passwd 1000 >/dev/null 2>&1 || cut -d: -f3 /etc/passwd | grep -qx 1000; then
    uid_opt=""
  fi
  if getent group "$PERRY_USER" >/dev/null 2>&1 || cut -d: -f1 /etc/group | grep -qx "$PERRY_USER"; then
    grp_opt="-g $PERRY_USER"
  else
    grp_opt="-U"
  fi
  # shellcheck disable=SC2086
  useradd $uid_opt $grp_opt -m -d "/home/$PERRY_USER" -s /bin/bash "$PERRY_USER"
  say "created user $PERRY_USER"
fi
HOME_DIR=$(passwd_field "$PERRY_USER" 6)
case "$(passwd_field "$PERRY_USER" 7)" in
  ""|*/nologin|*/false) usermod -s /bin/bash "$PERRY_USER" ;;   # ssh needs a shell
esac
if [ ! -d "$HOME_DIR" ]; then
  mkdir -p "$HOME_DIR"
  chown "$PERRY_USER:$(id -g "$PERRY_USER")" "$HOME_DIR"
fi
# Password '*': no password, but not locked ('!'), which sshd rejects even for key logins.
case "$(grep "^$PERRY_USER:" /etc/shadow 2>/dev/null | cut -d: -f2)" in
  '$'*) ;;                                       # a real hash: leave it
  *) usermod -p '*' "$PERRY_USER" ;;
esac
getent group docker >/dev/null 2>&1 || cut -d: -f1 /etc/group | grep -qx docker \
  || groupadd docker
usermod -a -G docker "$PERRY_USER"
if [ -n "$REMOTE" ]; then usermod -a -G docker "$REMOTE"; fi

# Passwordless sudo. Make sure sudoers reads sudoers.d (Alpine's may not).
mkdir -p /etc/sudoers.d
grep -Eq '^[#@]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers 2>/dev/null \
  || echo '@includedir /etc/sudoers.d' >>/etc/sudoers
echo "$PERRY_USER ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/perry
# sudo knows the account by its uid, which gives the account's own name.
if [ -n "$REMOTE" ]; then echo "$REMOTE ALL=(ALL) NOPASSWD:ALL" >>/etc/sudoers.d/perry; fi
chmod 0440 /etc/sudoers.d/perry
if command -v visudo >/dev/null 2>&1; then visudo -cq >/dev/null; fi

# --- sshd: keys only ---------------------------------------------------------------------
# The first value sshd reads wins, so sshd_config.d/perry.conf must be included at the
# top of sshd_config (Debian does that; Alpine may not include sshd_config.d at all).
# SetEnv gives ssh sessions the CA variables where sshd has no PAM (Alpine); on Debian
# pam_env reads the same values from /etc/environment. Alpine turns TCP forwarding off
# by default; editors' remote modes need it.
mkdir -p /etc/ssh/sshd_config.d /run/sshd
printf '%s\n' \
  'PasswordAuthentication no' \
  'KbdInteractiveAuthentication no' \
  'PermitRootLogin no' \
  'PubkeyAuthentication yes' \
  'PermitEmptyPasswords no' \
  'PrintMotd no' \
  'AllowTcpForwarding yes' \
  'SetEnv NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  >/etc/ssh/sshd_config.d/perry.conf
if ! grep -Eqi '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/' /etc/ssh/sshd_config 2>/dev/null; then
  { echo 'Include /etc/ssh/sshd_config.d/*.conf'; cat /etc/ssh/sshd_config 2>/dev/null || true; } \
    >/etc/ssh/sshd_config.perry && mv /etc/ssh/sshd_config.perry /etc/ssh/sshd_config
fi
rm -f /etc/ssh/ssh_host_*     # unique per workspace: the entrypoint makes them
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE; do
  grep -q "^$v=" /etc/environment 2>/dev/null \
    || echo "$v=/etc/ssl/certs/ca-certificates.crt" >>/etc/environment
done

# --- coding agents -----------------------------------------------------------------------
A=$P/agents
# Their glibc builds on a base without glibc (musl): put Debian's loader where the
# binaries look for it and its libraries in the multiarch directory, which only glibc's
# loader searches. Skipped when a loader is already there (glibc, or Alpine's gcompat).
case "$(uname -m)" in
  x86_64) interp=/lib64/ld-linux-x86-64.so.2; triplet=x86_64-linux-gnu ;;
  aarch64) interp=/lib/ld-linux-aarch64.so.1; triplet=aarch64-linux-gnu ;;
  *) interp=; triplet= ;;
esac
if [ -n "$interp" ] && [ ! -e "$interp" ] && [ -d "$A/glibc" ]; then
  mkdir -p "$(dirname "$interp")" "/usr/lib/$triplet"
  for l in "$A"/glibc/*; do
    case "$l" in */ld-linux-*) cp "$l" "$interp" ;; *) cp "$l" "/usr/lib/$triplet/" ;; esac
  done
  say "no glibc in the image: added glibc's loader for the coding agents ($interp)"
fi
rm -rf "$A/glibc"

link_agent() {  # COMMAND TARGET
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  [ -n "$2" ] && [ -x "$2" ] || return 0
  ln -sf "$2" "/usr/local/bin/$1"
  linked="$linked $1"
}
linked=
mkdir -p /usr/local/bin
link_agent claude "$A/claude/claude"
link_agent opencode "$A/opencode/opencode"
link_agent bun "$A/bun/bun"
[ -L /usr/local/bin/bun ] && link_agent bunx "$A/bun/bun"   # bun acts as bunx by argv[0]
# codex: the npm wrapper needs node; link the vendored native binary, which finds its
# resources (rg, sandbox helper) next to itself.
link_agent codex "$(find "$A/codex" -path '*/vendor/*/bin/codex' -type f 2>/dev/null | head -n 1)"
for c in $linked; do
  [ "$c" = bunx ] && continue
  "$c" --version >/dev/null 2>&1 || say "warning: $c is installed but does not run here"
done
[ -z "$linked" ] || say "linked coding agents:$linked"

# --- entrypoint and what the agent needs to know ------------------------------------------
install -m 0755 "$P/entrypoint.sh" /usr/local/bin/perry-entrypoint 2>/dev/null \
  || { cp "$P/entrypoint.sh" /usr/local/bin/perry-entrypoint; chmod 0755 /usr/local/bin/perry-entrypoint; }
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "PERRY_USER=$(q "$PERRY_USER")"
  echo "PERRY_HOME=$(q "$HOME_DIR")"
  echo "PERRY_UID=$(id -u "$PERRY_USER")"
  echo "PERRY_GID=$(id -g "$PERRY_USER")"
} >"$P/user.env"
say "workspace user $PERRY_USER, home $HOME_DIR"
