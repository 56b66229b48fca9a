#!/usr/bin/env bash
# Fuzzes the agent's request decoding and input checks (fuzz/fuzz_targets/rpc_input.rs) for a
# number of seconds (the first argument, else FUZZ_SECONDS, else 60) and prints how many inputs
# ran. Fails, keeping the input, when any input makes it panic. Builds on stable Rust: with
# `--sanitizer none` cargo-fuzz passes only stable rustc flags. `--debug-assertions` turns
# integer overflow into a panic, so the fuzzer finds it too.
# Cached between runs (cache them in CI): .tools/ (cargo-fuzz), fuzz/target/ (the build) and
# fuzz/corpus/ (what earlier runs found); the seeds in fuzz/seeds/ are committed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
target=rpc_input
cargo_fuzz="$(scripts/ensure-fuzz.sh)"
cargo fmt --manifest-path fuzz/Cargo.toml --check

flags=(--sanitizer none --debug-assertions)
"$cargo_fuzz" fuzz build "${flags[@]}" "$target"

corpus="fuzz/corpus/$target"
mkdir -p "$corpus"
log="fuzz/target/$target.log"
if ! "$cargo_fuzz" fuzz run "${flags[@]}" "$target" "$corpus" "fuzz/seeds/$target" -- \
  -max_total_time="$seconds" -dict="$PWD/fuzz/$target.dict" -print_final_stats=1 \
  >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/. Replay it with:" >&2
  echo "  $cargo_fuzz fuzz run ${flags[*]} $target fuzz/artifacts/$target/<file>" >&2
  exit 1
fi
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
found="$(find "$corpus" -type f | wc -l)"
echo "fuzz: $target ran $runs inputs in $seconds s ($rate per second), no panics; $corpus holds $found inputs (log: $log)"
