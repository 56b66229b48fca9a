#!/usr/bin/env bash
# Builds the web UI into web/dist, which the agent embeds at compile time (so run this before
# `cargo build`). Installs its npm packages first when package-lock.json changed, and skips the
# build when nothing in web/ changed since the last one.
set -euo pipefail
cd "$(dirname "$0")/../web"

# The client package the UI imports (file:../clients/ts) needs its own dependencies too.
install_if_stale() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}
(cd ../clients/ts && install_if_stale)
install_if_stale

if [ -f dist/index.html ] && [ -z "$(find src index.html public package-lock.json vite.config.ts tsconfig*.json ../clients/ts/src \
      -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  exit 0
fi
npm run build --silent
