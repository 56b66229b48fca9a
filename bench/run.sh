#!/usr/bin/env bash
# Prints Perry's figures. Usage: bench/run.sh [create|clone|devcontainer|fleet|idle|list|terminal|terminal-echo|terminal-flood|terminal-load|sessions|settings|settings-web|web|mobile|slow-link|all]
#   create, clone, devcontainer, fleet, idle, list, terminal, sessions, settings: bench/src (Rust, against a real agent and real Docker)
#   web: first-load JavaScript and time to the workspace list in Chromium (web/bench)
#   settings-web: a setting saved in the web UI → applied in 10 running workspaces (web/bench)
#   mobile: the phone app's web export size, connect to the list, open a terminal to its prompt (web/bench)
#   slow-link: the web terminal over a 150 ms, 1 % loss link between network namespaces: keypress →
#     glyph with and without local echo, bytes and time for cat of 10 MB with and without
#     compression, Ctrl-C during a flood (web/bench; root, for the namespaces)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
if [ "$what" = web ] || [ "$what" = all ]; then
  scripts/ensure-browser.sh
  (cd web && PERRY_BIN="$PWD/../target/release/perry" npm run --silent bench)
  [ "$what" = web ] && exit 0
fi
if [ "$what" = settings-web ] || [ "$what" = all ]; then
  scripts/ensure-browser.sh
  (cd web && PERRY_BIN="$PWD/../target/release/perry" npm run --silent bench:settings)
  [ "$what" = settings-web ] && exit 0
fi
if [ "$what" = mobile ] || [ "$what" = all ]; then
  scripts/ensure-browser.sh
  (cd mobile && npm ci --no-audit --no-fund --loglevel=error && npm run --silent export:web >/dev/null)
  (cd web && PERRY_BIN="$PWD/../target/release/perry" npm run --silent bench:mobile)
  [ "$what" = mobile ] && exit 0
fi
if [ "$what" = slow-link ] || [ "$what" = all ]; then
  scripts/ensure-browser.sh
  cargo build -q --release --locked -p perry-test-support --bin perry-netns
  (cd web && PERRY_BIN="$PWD/../target/release/perry" npm run --silent bench:slow-link)
  [ "$what" = slow-link ] && exit 0
fi
cargo run -q --release --locked -p perry-bench -- "$what"
