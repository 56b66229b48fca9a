# Perry's two commands for a fresh Debian machine, as root:
#   make run    installs what is missing, builds Perry and the workspace image, runs the agent
#   make test   the same prerequisites, then every test
SHELL := /bin/bash
.DEFAULT_GOAL := build
export PATH := $(HOME)/.cargo/bin:$(PATH)

RELEASE := target/release
PERRY := $(RELEASE)/perry

.PHONY: build run test docker image ts-types bench lint fuzz

# The perry binary with the web UI inside, and the worker linked statically so it runs in any image.
build:
	scripts/ensure-toolchain.sh
	scripts/build-web.sh
	cargo build --release --locked -p perry
	cargo rustc --release --locked -p perry-worker --bin perry-worker -- \
		-C target-feature=+crt-static -C strip=symbols

# A Docker Engine that answers (installed from Debian's packages and started when missing).
docker:
	scripts/ensure-docker.sh

# The workspace image, built through the Engine API when missing or out of date.
image: docker build
	scripts/seed-base-image.sh debian:bookworm
	$(PERRY) build --if-changed

run: image
	$(PERRY) agent run

test: image
	scripts/test.sh

# Regenerate the TypeScript wire types after changing crates/perry-api.
ts-types:
	PERRY_UPDATE_TS=1 cargo test -q -p perry-api --test typescript_bindings

bench: image
	bench/run.sh

# The fuzz target over the agent's request decoding, for FUZZ_SECONDS (60 by default).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/ensure-toolchain.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)
