#!/usr/bin/env bash
# Every test: Rust unit and integration tests (against the real Docker Engine and the real
# workspace image), the TypeScript client tests against a real agent, then the web UI's unit
# tests and its end-to-end tests in Chromium against a real agent, and the phone app's tests.
# Each TypeScript package is linted (ESLint) right after its install.
# Expects `make image` to have run (the Makefile's `test` target does that).
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean clone builds once: incremental caches would only double target/'s size on disk.
export CARGO_INCREMENTAL=0
export PERRY_WORKER_BINARY="$PWD/target/release/perry-worker"
[ -x "$PERRY_WORKER_BINARY" ] || { echo "test: $PERRY_WORKER_BINARY is missing; run make build" >&2; exit 1; }

# crates/perry/tests/agent_install.rs checks the units `perry agent install` writes with systemd's
# own `systemd-analyze verify`: it needs Debian's systemd package, not a running systemd.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "test: systemd-analyze is missing: install Debian's systemd package" >&2; exit 1; }
  echo "test: installing systemd (for systemd-analyze)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

# crates/perry/tests/fleet_netns.rs puts agents in network namespaces (iproute2) with firewall
# rules (iptables, which docker.io brings too); the slow link of web/e2e/slow-link.e2e.ts and
# crates/perry-test-support/tests/slow_link.rs uses iproute2's tc (netem) where the kernel has it.
if ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "test: ip or iptables is missing: install iproute2 and iptables" >&2; exit 1; }
  echo "test: installing iproute2 and iptables (for network namespaces)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends iproute2 iptables >/dev/null
fi

# The images the devcontainer tests built (perry-devcontainer:<content hash>, over a gigabyte
# each): no container uses them once those tests are done, and the next code gives other hashes.
# Removed right after the Rust stage, before the Kubernetes nodes take their share of the disk
# (a CI machine ran out: the kubelet tainted a node with disk-pressure), and again at the end.
# By name: one image may carry several tags (equal content hashes from different runs).
remove_devcontainer_images() {
  docker image ls --format '{{.Repository}}:{{.Tag}}' --filter reference='perry-devcontainer' \
    | xargs -r docker image rm >/dev/null 2>&1 || true
}

# Each stage's heading says how much disk is free, so a run that fills it shows where.
stage() { echo "== $* ($(df -h --output=avail / | tail -1 | tr -d ' ') free on /)"; }

stage "Format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "Rust tests"
# crates/perry/tests/tls.rs runs the CLI through a real nginx that terminates TLS.
scripts/ensure-nginx.sh
if cargo nextest --version >/dev/null 2>&1; then
  # Docker-heavy tests start Docker-in-Docker workspaces: 3 at a time fit 2 cores.
  # .config/nextest.toml leaves out docker_faults (it stops dockerd): it runs alone below.
  cargo nextest run --workspace --locked --test-threads 3 --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast -- --test-threads 3 --skip dockerd_stopped
fi

stage "Docker fault tests (stop the machine's dockerd, so alone and after the others)"
faults=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p perry --locked --test docker_faults --ignore-default-filter || faults=$?
else
  cargo test -p perry --locked --test docker_faults || faults=$?
fi
scripts/ensure-docker.sh
[ "$faults" -eq 0 ] || exit "$faults"
remove_devcontainer_images

stage "Kubernetes engine tests (a real two-node cluster on this machine, scripts/kubernetes/)"
# Built once into ~/.cache (about 5 minutes cold), started for these tests and stopped after,
# leaving the machine as it was.
trap 'scripts/kubernetes/cluster.sh down' EXIT
cluster=$(scripts/kubernetes/cluster.sh up | tail -1)
# The in-cluster agent's test runs this checkout's release build as a pod.
scripts/kubernetes/cluster.sh agent-image
export PERRY_TEST_KUBECONFIG="${cluster#KUBECONFIG=}"
kubernetes=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p perry-agent --locked --test kubernetes --ignore-default-filter \
    --test-threads 1 --no-fail-fast || kubernetes=$?
else
  cargo test -p perry-agent --locked --test kubernetes || kubernetes=$?
fi
scripts/kubernetes/cluster.sh down
trap - EXIT
[ "$kubernetes" -eq 0 ] || exit "$kubernetes"

stage "Fuzzing the RPC decoding and input checks (cargo-fuzz, ${FUZZ_SECONDS:-60} s)"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

stage "TypeScript client tests (@orpc/client against a real agent)"
(
  cd clients/ts
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent lint
  PERRY_BIN="$PWD/../../target/release/perry" npm test
)

stage "Web UI unit tests (Vitest)"
scripts/ensure-browser.sh
(
  cd web
  # Installed by scripts/build-web.sh (make build).
  npm run --silent lint
  npm test
)

stage "Phone app tests (jest-expo: screens and hooks)"
(
  cd mobile
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent lint
  npm test
  # The web export, for the end-to-end tests below (web/e2e/mobile-app.e2e.ts).
  npm run --silent export:web >/dev/null
)

stage "Web UI end-to-end tests (Chromium against a real agent and real Docker)"
# Network namespaces for the agents that play other machines (web/e2e/*fleet*.e2e.ts) and the slow
# link to one (web/e2e/slow-link.e2e.ts).
cargo build --release --locked -p perry-test-support --bin perry-netns
(
  cd web
  PERRY_BIN="$PWD/../target/release/perry" npm run e2e
)

remove_devcontainer_images
