#!/usr/bin/env bash
# Every test: Rust unit and integration tests (against the real Docker Engine and the real
# workspace image), the TypeScript client tests against a real agent, then the web UI's unit
# tests and its end-to-end tests in Chromium against a real agent.
# Expects `make image` to have run (the Makefile's `test` target does that).
set -euo pipefail
cd "$(dirname "$0")/.."

export PERRY_WORKER_BINARY="$PWD/target/release/perry-worker"
[ -x "$PERRY_WORKER_BINARY" ] || { echo "test: $PERRY_WORKER_BINARY is missing; run make build" >&2; exit 1; }

echo "== Format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  # Docker-heavy tests start Docker-in-Docker workspaces: 3 at a time fit 2 cores.
  cargo nextest run --workspace --locked --test-threads 3 --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast -- --test-threads 3
fi

echo "== TypeScript client tests (@orpc/client against a real agent)"
(
  cd clients/ts
  npm ci --no-audit --no-fund --loglevel=error
  PERRY_BIN="$PWD/../../target/release/perry" npm test
)

echo "== Web UI unit tests (Vitest)"
scripts/ensure-browser.sh
(
  cd web
  npm test
)

echo "== Web UI end-to-end tests (Chromium against a real agent and real Docker)"
(
  cd web
  PERRY_BIN="$PWD/../target/release/perry" npm run e2e
)
