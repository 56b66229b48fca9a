#!/usr/bin/env bash
# Make sure the base image (default debian:bookworm) exists in the local Docker Engine.
#   1. already present        -> nothing to do
#   2. `docker pull` works    -> use the official image
#   3. no registry (offline)  -> build it from Debian's own packages with debootstrap
# Prints one line saying which path it took.
set -euo pipefail

IMAGE="${1:-debian:bookworm}"
SUITE="${SEED_SUITE:-}"
MIRROR="${SEED_MIRROR:-}"   # empty = debootstrap's default mirror

die() { echo "seed-base-image: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker CLI not found"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "seed-base-image: $IMAGE already present"
  exit 0
fi

if timeout 60 docker pull -q "$IMAGE" >/dev/null 2>&1; then
  echo "seed-base-image: pulled $IMAGE from the registry"
  exit 0
fi

# debootstrap can only produce Debian images; derive the suite from the tag.
if [ -z "$SUITE" ]; then
  case "$IMAGE" in
    debian:*) SUITE="${IMAGE#debian:}"; SUITE="${SUITE%%-*}" ;;
    *) die "cannot pull $IMAGE and cannot debootstrap a non-debian image (set SEED_SUITE to force)" ;;
  esac
fi

[ "$(id -u)" = 0 ] || die "cannot pull $IMAGE; debootstrap fallback needs root"

if ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq debootstrap; } >/dev/null \
    || die "installing debootstrap failed"
fi

tmp="$(mktemp -d /var/tmp/seed-rootfs.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
log="$tmp.log"

if ! debootstrap --variant=minbase "$SUITE" "$tmp/rootfs" ${MIRROR:+"$MIRROR"} >"$log" 2>&1; then
  echo "seed-base-image: debootstrap $SUITE failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
rm -f "$log"

# Trim caches that the official image does not ship either.
rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*

tar -C "$tmp/rootfs" -c . \
  | docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$IMAGE" >/dev/null \
  || die "docker import failed"

echo "seed-base-image: built $IMAGE with debootstrap ($SUITE, no registry reachable)"
