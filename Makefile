# The two set-up commands of README.md live here: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps).

SWIFT ?= swift
CONFIG ?= Config/example.json
STATE_DIR ?= .herald-state

.PHONY: deps build run test release clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# Checks the example config, explains the seed event sequence, then runs the daemon.
run: build
	$$($(SWIFT) build --show-bin-path)/herald check --config $(CONFIG)
	$$($(SWIFT) build --show-bin-path)/herald explain --config $(CONFIG) --event Config/example-events.json

# The whole test suite; .ci/run calls exactly this.
test: build
	HERALD_BIN=$$($(SWIFT) build --show-bin-path)/herald $(SWIFT) test

release: deps
	$(SWIFT) build -c release

clean:
	rm -rf .build
