#!/usr/bin/env bash
# Make sure the build tools Perry needs are here: cargo (Rust stable), a C compiler with the
# static C library (the worker is linked statically), Node.js with npm (web UI and TypeScript tests).
set -euo pipefail

die() { echo "ensure-toolchain: $*" >&2; exit 1; }

command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust stable (rustup) first"

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/libc.a ] || missing+=(libc6-dev)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]} and not root to install them"
  echo "ensure-toolchain: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The web UI's build tools (Vite) need Node.js 20.19 or newer.
node_version="$(node -p 'process.versions.node')"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || die "Node.js $node_version is too old: the web UI needs 20.19 or newer"
