#!/usr/bin/env bash
# Prints Perry's figures. Usage: bench/run.sh [create|idle|list|terminal|terminal-echo|terminal-flood|sessions|web|all]
#   create, idle, list, terminal, sessions: bench/src (Rust, against a real agent and real Docker)
#   web: first-load JavaScript and time to the workspace list in Chromium (web/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
if [ "$what" = web ] || [ "$what" = all ]; then
  scripts/ensure-browser.sh
  (cd web && PERRY_BIN="$PWD/../target/release/perry" npm run --silent bench)
  [ "$what" = web ] && exit 0
fi
cargo run -q --release --locked -p perry-bench -- "$what"
