#!/usr/bin/env bash
# Builds the Kubernetes server binaries the engine's tests run a real cluster with, once, into
# a cache outside the clone (CI runs in a fresh clone on the same machine): no registry these
# machines reach ships them, but Debian bookworm's `kubernetes` source package is the whole
# upstream v1.20.2 tree with its vendor/ directory, which builds offline with Debian's Go 1.19.
# Prints the directory of the binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet, kubectl, pause) on its last line.
#
#   ensure-kubernetes.sh            builds what is missing (cold: about 4.5 min), prints the dir
#   ensure-kubernetes.sh --cached   builds nothing: prints the dir if the build is there, else
#                                   fails (for `cluster.sh down`, which must not start a build)
#
# The source comes through a private apt configuration (a deb-src twin of this machine's own
# Debian sources, with lists and cache of its own), so the system's apt setup is not touched.
set -euo pipefail

VERSION="1.20.5+really1.20.2-1.1+deb12u1"
CACHE="${PERRY_K8S_CACHE:-$HOME/.cache/perry/kubernetes}/$VERSION"
BIN="$CACHE/bin"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl pause)
# Changes when the way the binaries are built changes, so a cache from before is built again.
RECIPE=2

have_all() {
  [ "$(cat "$BIN/.recipe" 2>/dev/null)" = "$RECIPE" ] || return 1
  for binary in "${BINARIES[@]}"; do [ -x "$BIN/$binary" ] || return 1; done
}
if have_all; then
  echo "$BIN"
  exit 0
fi
[ "${1:-}" != --cached ] || exit 1

log() { echo "ensure-kubernetes: $*" >&2; }

# What the build and the test cluster need, from Debian.
packages=(golang-1.19-go rsync gcc libc6-dev make etcd-server containernetworking-plugins
          openssl iptables util-linux conntrack socat ethtool ebtables dpkg-dev xz-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
fi
# etcd-server starts its own service on install; the test cluster runs its own etcd.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl disable --now etcd >&2 || true
fi

WORK="$CACHE/work"
mkdir -p "$WORK"
SRC_TAR=$(ls "$WORK"/kubernetes_*.orig.tar.* 2>/dev/null | head -1 || true)
if [ -z "$SRC_TAR" ]; then
  log "fetching Debian's kubernetes $VERSION source package"
  APT="$WORK/apt"
  mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial"
  # The deb-src twin of every Debian source this machine has (deb822 and one-line forms).
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -e "$file" ] || continue
    grep -qi '^URIs:.*debian' "$file" || continue
    sed 's/^Types:.*/Types: deb-src/' "$file" >"$APT/sources.list.d/$(basename "$file")"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
      >"$APT/sources.list.d/twin.list" || true
  fi
  apt_options=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT/sources.list.d"
               -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache")
  apt-get "${apt_options[@]}" update -q >&2
  (cd "$WORK" && apt-get "${apt_options[@]}" source --download-only "kubernetes=$VERSION" >&2)
  SRC_TAR=$(ls "$WORK"/kubernetes_*.orig.tar.* | head -1)
fi

TREE="$WORK/gopath/src/k8s.io/kubernetes"
if [ ! -f "$TREE/.perry-patched" ]; then
  log "unpacking $(basename "$SRC_TAR")"
  rm -rf "$WORK/gopath"
  mkdir -p "$TREE"
  tar -xf "$SRC_TAR" -C "$TREE" --strip-components=1
  # This VM lacks CAP_SYS_RESOURCE, so any negative oom_score_adj makes the container start
  # fail (`docker run --oom-score-adj=-998` fails the same way). The kubelet gives pod sandboxes
  # -998 and Guaranteed pods -997; make both 0 so pods start here. Users' clusters need no such
  # change; it only changes which process the kernel kills first under memory pressure.
  sed -i 's/defaultSandboxOOMAdj \(int\)\? *= *-998/defaultSandboxOOMAdj \1 = 0/' \
    "$TREE/pkg/kubelet/dockershim/docker_sandbox.go"
  sed -i 's/guaranteedOOMScoreAdj \(int\)\? *= *-997/guaranteedOOMScoreAdj \1 = 0/' \
    "$TREE/pkg/kubelet/qos/policy.go"
  grep -q 'defaultSandboxOOMAdj.*= 0' "$TREE/pkg/kubelet/dockershim/docker_sandbox.go"
  grep -q 'guaranteedOOMScoreAdj.*= 0' "$TREE/pkg/kubelet/qos/policy.go"
  touch "$TREE/.perry-patched"
fi

export GOPATH="$WORK/gopath" GO111MODULE=off GOPROXY=off GOFLAGS=-mod=vendor
export GOCACHE="$WORK/gocache" PATH="/usr/lib/go-1.19/bin:$PATH"
unset GOFLAGS  # GOPATH mode takes vendor/ as it is
cd "$TREE"
if [ ! -f "$WORK/.generated" ]; then
  log "generating files (about a minute)"
  make generated_files >&2
  touch "$WORK/.generated"
fi
mkdir -p "$BIN"
[ "$(cat "$BIN/.recipe" 2>/dev/null)" = "$RECIPE" ] || rm -f "$BIN"/kube* "$BIN/pause"
# In GOPATH mode the version variables live under the tree's vendor/ path.
VERSION_PKG=k8s.io/kubernetes/vendor/k8s.io/component-base/version
for component in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  [ -x "$BIN/$component" ] && continue
  log "building $component"
  started=$(date +%s)
  go build -o "$BIN/$component.tmp" -ldflags "-s -w \
    -X $VERSION_PKG.gitVersion=v1.20.2 -X $VERSION_PKG.gitMajor=1 -X $VERSION_PKG.gitMinor=20 \
    -X $VERSION_PKG.gitTreeState=clean" "./cmd/$component" >&2
  mv "$BIN/$component.tmp" "$BIN/$component"
  log "built $component in $(( $(date +%s) - started )) s"
done
if [ ! -x "$BIN/pause" ]; then
  gcc -Os -static -o "$BIN/pause" build/pause/linux/pause.c
fi
echo "$RECIPE" >"$BIN/.recipe"
have_all
# Only the binaries are needed from now on: the tree and Go's build cache are 2 GB.
rm -rf "$WORK/gopath" "$WORK/gocache"
rm -f "$WORK/.generated"
echo "$BIN"
