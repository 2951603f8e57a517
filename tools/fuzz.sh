#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ with -sanitize=fuzzer,address on every module and runs each for
# FUZZ_SECONDS (default 60), seeded from fixtures/. Crashes land in Fuzz/crashes/<target>/; turn each into a file
# under fixtures/malformed/ with a test. Prints executions per target and the total.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"FuzzSafetensors FuzzHDF5 FuzzHDF5Types FuzzKerasConfig FuzzGolden FuzzConfig FuzzTokenizer FuzzPickle FuzzTFCheckpoint FuzzKerasArchive FuzzONNX"}
(cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld 2>&1 | tail -n 3)
bin=Fuzz/.build/debug
seed() {  # target, files…
  local dir=Fuzz/corpus/$1; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
}
seed FuzzSafetensors fixtures/pt-seqcls/model.safetensors fixtures/pt-base/model-legacy.safetensors fixtures/tf-safetensors/model.safetensors fixtures/malformed/st-*.safetensors
seed FuzzHDF5 fixtures/keras-cnn-functional/weights.h5 fixtures/keras3/model.weights.h5 fixtures/malformed/h5-*.h5
seed FuzzKerasConfig
# FuzzPickle: torch-written checkpoints (zip and legacy) and the hostile corpus; -max_len covers the small ones.
seed FuzzPickle fixtures/pt-bin/*.bin fixtures/pt-bin/*.pt fixtures/pt-bin-hostile/*
# FuzzKerasArchive: archives Keras 3 wrote and the rewritten hostile ones (deflated, bomb, bad CRC, traversal…).
seed FuzzKerasArchive fixtures/keras3-archive/*.keras fixtures/keras3-archive-hostile/*.keras
# FuzzTFCheckpoint: index files TensorFlow wrote (TF1 Saver, TF2 object graph) and the damaged copies.
seed FuzzTFCheckpoint fixtures/tf-ckpt/*/*.index fixtures/tf-ckpt-hostile/*.index
# FuzzONNX: graphs torch exported (TorchScript and dynamo) and the hostile files (external data, framing, dims).
seed FuzzONNX fixtures/onnx-torch/*/model.onnx fixtures/onnx-hostile/*.onnx
# FuzzHDF5Types: byte 0 picks the template (even: float types, odd: string types), then the datatype message,
# then a mask of which messages get it; seeds are the templates' own valid messages.
mkdir -p Fuzz/corpus/FuzzHDF5Types
printf '\x00\x11\x21\x1f\x00\x04\x00\x00\x00\x00\x00\x20\x00\x17\x08\x00\x17\x7f\x00\x00\x00\xff' > Fuzz/corpus/FuzzHDF5Types/float-be
printf '\x01\x13\x01\x00\x00\x0a\x00\x00\x00\xff' > Fuzz/corpus/FuzzHDF5Types/string-nullpad
python3 - <<'PY'
import h5py, os
attrs = h5py.File("fixtures/keras-full/model.h5", "r").attrs
os.makedirs("Fuzz/corpus/FuzzKerasConfig", exist_ok=True)
open("Fuzz/corpus/FuzzKerasConfig/model_config.json", "w").write(attrs["model_config"] if isinstance(attrs["model_config"], str) else attrs["model_config"].decode())
PY
seed FuzzGolden fixtures/tf-seqcls/golden.json fixtures/pt-pretraining/golden.json
seed FuzzConfig fixtures/tf-seqcls/config.json fixtures/tf-seqcls/tokenizer_config.json
mkdir -p Fuzz/corpus/FuzzTokenizer
printf 'the\nmovie\n##s\nwonderful\n\0I thought this was a wonderful movie' > Fuzz/corpus/FuzzTokenizer/seed
total=0
# Crashes are reported by libFuzzer and ASan, not the Swift backtracer; a failed allocation returns NULL as malloc
# does outside ASan, so libhdf5's own handling of absurd sizes is what gets tested.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0
for target in $targets; do
  mkdir -p "Fuzz/crashes/$target"
  log=$(mktemp)
  extra=()
  # libhdf5 1.10.8 has a known crash (fixtures/malformed/fuzz-h5-corrupt-global-heap.h5) that the fuzzer finds
  # again within seconds; fork mode keeps fuzzing past it and reports each crash it collects.
  case "$target" in FuzzHDF5|FuzzHDF5Types|FuzzKerasArchive) extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;; esac
  # The Keras archives Keras writes for the fixture models are 10-180 KB.
  max_len=65536; [ "$target" = FuzzKerasArchive ] && max_len=262144; [ "$target" = FuzzONNX ] && max_len=393216
  "$bin/$target" "Fuzz/corpus/$target" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="Fuzz/crashes/$target/" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1 || true
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1 || true)
  [ -n "$runs" ] || runs=$(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  [ -n "$runs" ] || runs=0
  crashes=$(ls "Fuzz/crashes/$target" | wc -l)
  total=$((total + runs))
  echo "$target: $runs executions in ${seconds}s, $crashes crash/timeout/leak files"
  grep -E 'ERROR: (AddressSanitizer|libFuzzer)|SUMMARY' "$log" | head -n 5 || true
  rm -f "$log"
done
echo "total: $total executions"
