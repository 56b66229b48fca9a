#!/usr/bin/env bash
# Prints Perry's figures (see bench/src/main.rs). Usage: bench/run.sh [create|idle|list|all]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --release --locked -p perry-bench -- "${1:-all}"
