#!/usr/bin/env bash
# Make sure cargo-fuzz is here: a pinned version, built from crates.io into .tools/ of this
# checkout (cache that directory in CI). The fuzz target builds on the stable toolchain:
# `cargo fuzz run --sanitizer none` passes only stable rustc flags (coverage instrumentation),
# so no nightly is needed. libFuzzer itself is C++: it needs g++.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "ensure-fuzz: $*" >&2; exit 1; }

CARGO_FUZZ_VERSION=0.13.2
TOOLS="$PWD/.tools"
CARGO_FUZZ="$TOOLS/bin/cargo-fuzz"

command -v cargo >/dev/null 2>&1 || die "cargo is missing: run scripts/ensure-toolchain.sh first"
if ! command -v c++ >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "a C++ compiler (g++) is missing and not root to install it"
  echo "ensure-fuzz: installing g++ (libFuzzer is C++)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq g++ >/dev/null
fi

installed="$("$CARGO_FUZZ" fuzz --version 2>/dev/null || true)"
if [ "$installed" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "ensure-fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS" >&2
  cargo install --quiet --locked --force --root "$TOOLS" cargo-fuzz --version "=$CARGO_FUZZ_VERSION" \
    || die "installing cargo-fuzz $CARGO_FUZZ_VERSION failed"
fi
echo "$CARGO_FUZZ"
