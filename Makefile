# bertinspect: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
SWIFT ?= swift
APT_PACKAGES := pkg-config libhdf5-dev libopenblas-dev zlib1g-dev
BIN := .build/debug/bertinspect
EXAMPLE := fixtures/tf-seqcls
PYTHON ?= /root/refenv/bin/python

.PHONY: all setup build release test demo man fixtures malformed interop interop-light report-check fuzz bench-summary bench-convert bench-export clean

all: build

# Installs the system libraries with apt when pkg-config cannot find them.
setup:
	@if ! pkg-config --exists hdf5-serial openblas zlib 2>/dev/null; then \
		echo "Installing $(APT_PACKAGES) with apt-get"; \
		SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

build: setup
	$(SWIFT) build

# The binary to install and benchmark: optimised, with the Swift runtime linked in statically (no shared runtime
# libraries to resolve at every start).
release: setup
	$(SWIFT) build -c release --static-swift-stdlib

test: setup
	$(SWIFT) build
	$(SWIFT) test

DEMO := out/demo

# The notebook's story on the bundled fine-tuned classifier: inspect it, convert it for PyTorch, freeze BERT,
# inspect again, convert back to TensorFlow with the frozen state carried along, then predict and verify.
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN) summary $(EXAMPLE)
	$(BIN) convert $(EXAMPLE) --to safetensors -o $(DEMO)/pytorch/
	$(BIN) freeze $(DEMO)/pytorch/model.safetensors --layers bert --in-place
	$(BIN) summary $(DEMO)/pytorch --depth 1
	$(BIN) convert $(DEMO)/pytorch --to h5 -o $(DEMO)/tensorflow/
	$(BIN) summary $(DEMO)/tensorflow --depth 1
	$(BIN) run $(EXAMPLE) --text "I thought this was a wonderful way to spend time" --text "Basically there's a family where a little boy thinks there's a zombie in his closet"
	$(BIN) verify $(EXAMPLE) --golden $(EXAMPLE)/golden.json

# Writes the man page bertinspect.1 (read it with `man -l bertinspect.1`) from the command descriptions.
man: build
	$(BIN) completions man > bertinspect.1

# Regenerates fixtures/ with the reference Python environment (tools/requirements.txt; not needed for tests).
fixtures:
	TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= $(PYTHON) tools/make_fixtures.py fixtures

malformed:
	$(PYTHON) tools/make_malformed.py fixtures/malformed

# Loads every converted fixture in transformers (PyTorch and TensorFlow) and in tf.keras; needs tools/requirements.txt.
# Also runs report-check (the HTML reports in a real browser).
interop: build report-check
	TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= $(PYTHON) tools/interop.py --binary $(BIN)

# Opens each HTML report in headless Chromium (installed with apt when missing): no console message, no request,
# the SVG parts in the DOM, a screenshot that is not blank, a self-contained file under 1 MB; see tools/report_check.py.
report-check: build
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing chromium with apt-get"; \
		SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi
	python3 tools/report_check.py --binary $(BIN) --require

# The part of interop that needs only numpy, h5py and safetensors (run by CI).
interop-light: build
	python3 -m pip install -q numpy h5py safetensors
	python3 tools/interop.py --binary $(BIN) --light

# Runs every libFuzzer target for FUZZ_SECONDS (default 60) each; see tools/fuzz.sh.
fuzz: setup
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash tools/fuzz.sh

bench-summary: release
	$(PYTHON) tools/bench_summary.py --binary .build/release/bertinspect

# convert --to onnx (standard, fused) and --to gguf (f32, f16, q8_0) on bert-base against a durable (fsync) copy of
# the same model.safetensors: median of 3 runs, ratio to the copy, peak RSS (goals: at most 1.5x, 150 MB).
bench-export: release
	$(PYTHON) tools/bench_export.py --binary .build/release/bertinspect

clean:
	rm -rf .build
