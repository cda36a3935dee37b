# The two set-up commands of README.md live here: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps).

SWIFT ?= swift
CONFIG ?= Config/example.json
STATE_DIR ?= .herald-state
# Development values for the example config's env-sourced secrets (never use in production).
HERALD_TOKEN ?= dev-token-change-me
HERALD_WEBHOOK_SECRET ?= whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
export HERALD_TOKEN HERALD_WEBHOOK_SECRET

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps test-deps build run receiver test release install uninstall check-units bench bench-quick clean

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --tests

build: deps
	$(SWIFT) build

# Checks the example config, explains the seed event sequence, then runs the daemon
# on 127.0.0.1:8080 with its SQLite state in $(STATE_DIR). Ctrl-C stops it cleanly.
run: build
	$$($(SWIFT) build --show-bin-path)/herald check --config $(CONFIG)
	$$($(SWIFT) build --show-bin-path)/herald explain --config $(CONFIG) --event Config/example-events.json
	$$($(SWIFT) build --show-bin-path)/herald serve --config $(CONFIG) --state-dir $(STATE_DIR)

# A loopback receiver for the example's webhook target (port 9099) that verifies signatures.
receiver:
	scripts/webhook-receiver 9099

# The whole test suite; .ci/run calls exactly this.
test: test-deps build
	HERALD_BIN=$$($(SWIFT) build --show-bin-path)/herald $(SWIFT) test

release: deps
	$(SWIFT) build -c release

# Installs the release binary, the systemd units and (if none exists) the example config.
install:
	BIN=$$($(SWIFT) build -c release --show-bin-path)/herald PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install

# Removes the binary and units; keeps /etc/herald and the state directory.
uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/uninstall

# systemd-analyze verify + security rating of systemd/herald.service (also run by the tests).
check-units:
	scripts/check-units

# Benchmark suite: installs wrk/nginx/Alertmanager if missing, builds release, runs on
# loopback (every run bounded), prints figures and rewrites BENCHMARKS.md.
bench: deps
	Benchmarks/run

# A short sanity run of the same suite (about a minute); prints, writes nothing.
bench-quick: deps
	Benchmarks/run --quick --out -

clean:
	rm -rf .build
