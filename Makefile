# bertinspect: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
SWIFT ?= swift
APT_PACKAGES := pkg-config libhdf5-dev libopenblas-dev
BIN := .build/debug/bertinspect
EXAMPLE := fixtures/tf-seqcls
PYTHON ?= /root/refenv/bin/python

.PHONY: all setup build test demo fixtures malformed bench-summary clean

all: build

# Installs the system libraries with apt when pkg-config cannot find them.
setup:
	@if ! pkg-config --exists hdf5-serial openblas 2>/dev/null; then \
		echo "Installing $(APT_PACKAGES) with apt-get"; \
		SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

build: setup
	$(SWIFT) build

test: setup
	$(SWIFT) build
	$(SWIFT) test

demo: build
	$(BIN) summary $(EXAMPLE)

# Regenerates fixtures/ with the reference Python environment (tools/requirements.txt; not needed for tests).
fixtures:
	TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= $(PYTHON) tools/make_fixtures.py fixtures

malformed:
	$(PYTHON) tools/make_malformed.py fixtures/malformed

bench-summary: setup
	$(SWIFT) build -c release
	$(PYTHON) tools/bench_summary.py --binary .build/release/bertinspect

clean:
	rm -rf .build
