#!/usr/bin/env bash
# The CUDA backend's check on a GPU machine, in one run: every fixture golden file with --device cuda
# (atol = rtol = 1e-4), CUDA against the CPU and against PyTorch on a bert-base-sized model, and bench --device cuda
# at batch 1 and 8 × 128 beside PyTorch eager FP32 (TF32 off) on the same GPU. Prints a parity table and timings;
# exits 0 when every parity check passed.
#
# Needs no Swift toolchain and no network: the bundle from tools/make_gpu_bundle.sh (the release binary, the shared
# libraries it needs, fixtures/, these tools), an NVIDIA driver with cuBLAS and NVRTC somewhere the binary looks
# (the loader path, /usr/local/cuda/lib64, the nvidia/*/lib folders of python3's site-packages, where PyTorch's pip
# wheels put them), and a python3 with torch and numpy (transformers is used when present).
#
# Usage:  tools/gpu_check.sh [BUNDLE]          BUNDLE: gpu-bundle (default) or gpu-bundle.tar.xz
# Environment: PYTHON (python3), RUNS (timed runs per benchmark, 50), BATCHES ("1 8"), WORK (scratch folder,
#   /tmp/bertinspect-gpu-check), OUT (a folder the report is copied to), DEVICE (cuda; "cpu" rehearses the whole
#   script on a machine without a GPU, CPU against CPU).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUNDLE=${1:-gpu-bundle}
PYTHON=${PYTHON:-python3}
RUNS=${RUNS:-50}
BATCHES=${BATCHES:-1 8}
WORK=${WORK:-/tmp/bertinspect-gpu-check}
DEVICE=${DEVICE:-cuda}
LENGTH=128

if [ ! -d "$BUNDLE" ] && [ -f "${BUNDLE%.tar.xz}.tar.xz" ]; then
    mkdir -p "$WORK" && tar -xJf "${BUNDLE%.tar.xz}.tar.xz" -C "$WORK" && BUNDLE="$WORK/gpu-bundle"
fi
if [ ! -x "$BUNDLE/bin/bertinspect" ]; then
    echo "gpu_check: no $BUNDLE/bin/bertinspect; build the bundle with tools/make_gpu_bundle.sh" >&2
    exit 2
fi
BUNDLE=$(cd "$BUNDLE" && pwd)
TOOLS="$HERE"
[ -f "$TOOLS/gpu_reference.py" ] || TOOLS="$BUNDLE/tools"
FIXTURES="$BUNDLE/fixtures"
[ -d "$FIXTURES" ] || FIXTURES="$HERE/../fixtures"
rm -rf "$WORK/results" && mkdir -p "$WORK/results"
REPORT="$WORK/report.txt"
: > "$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
failures=0

# The binary runs on the host's glibc when that is new enough, else on the glibc the bundle carries.
if LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$BUNDLE/bin/bertinspect" --version >/dev/null 2>&1; then
    launch="host glibc"
    bi() { LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$BUNDLE/bin/bertinspect" "$@"; }
else
    launch="bundled glibc ($BUNDLE/glibc)"
    bi() { "$BUNDLE/glibc/ld-linux-x86-64.so.2" --library-path "$BUNDLE/lib:$BUNDLE/glibc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$BUNDLE/bin/bertinspect" "$@"; }
fi

say "== bertinspect GPU check ($(date -u +%Y-%m-%dT%H:%M:%SZ), device $DEVICE)"
say "bundle: $BUNDLE ($(cat "$BUNDLE/MANIFEST.txt" 2>/dev/null | head -1)), started on the $launch"
command -v nvidia-smi >/dev/null && say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2)"
say "python: $("$PYTHON" -c 'import sys, torch; print(sys.executable, "torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1)"

# 1. The device: found by the binary's own search, or (reported as a finding) through BERTINSPECT_CUDA_LIBRARY_PATH.
probe=$(bi run "$FIXTURES/tf-seqcls" --text "a wonderful movie" --device "$DEVICE" 2>&1)
status=$?
if [ $status -ne 0 ] && [ "$DEVICE" = cuda ]; then
    say "FINDING: --device cuda failed with the default search (exit $status): $probe"
    BERTINSPECT_CUDA_LIBRARY_PATH=$("$PYTHON" -c '
import glob, os, site
folders = [f for p in site.getsitepackages() + [site.getusersitepackages()] for f in sorted(glob.glob(os.path.join(p, "nvidia", "*", "lib")))]
print(":".join(folders + ["/usr/local/cuda/lib64"]))')
    export BERTINSPECT_CUDA_LIBRARY_PATH
    say "retrying with BERTINSPECT_CUDA_LIBRARY_PATH=$BERTINSPECT_CUDA_LIBRARY_PATH"
    probe=$(bi run "$FIXTURES/tf-seqcls" --text "a wonderful movie" --device "$DEVICE" 2>&1)
    status=$?
    failures=$((failures + 1))
fi
say "$probe"
if [ $status -ne 0 ]; then
    say "FAIL: the $DEVICE device cannot run (exit $status); nothing else was checked."
    [ -n "${OUT:-}" ] && cp "$REPORT" "$OUT/gpu_check_report.txt"
    exit 1
fi
bi run "$FIXTURES/tf-seqcls" --text "a wonderful movie" --device auto | head -1 | sed 's/^/--device auto: /' | tee -a "$REPORT"

# 2. Every fixture golden file on the device; the CNN-only Keras models (no golden file) against the CPU.
verify() {  # LABEL ARGUMENTS…: runs verify --json, keeping its output and exit status for the table
    local label=$1 file="$WORK/results/$(printf '%03d' "$(ls "$WORK/results" | wc -l)").json"
    shift
    bi verify "$@" --json > "$file" 2> "$file.err"
    echo "$? $label" > "$file.status"
}
for folder in "$FIXTURES"/*/; do
    name=$(basename "$folder")
    for golden in golden.json golden-16.json; do
        [ -f "$folder$golden" ] && verify "fixture $name/$golden" "$folder" --golden "$folder$golden" --device "$DEVICE" --atol 1e-4 --rtol 1e-4
    done
done
printf '{"input_ids": [[5, 17, 250, 1999, 42, 7, 7, 1, 300, 12, 9, 100, 4, 2, 3, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]}\n' > "$WORK/cnn-ids.json"
for folder in "$FIXTURES"/keras-cnn-*/; do
    name=$(basename "$folder")
    bi verify "$folder" --record "$WORK/cpu-$name.json" --ids-file "$WORK/cnn-ids.json" --device cpu --force > /dev/null \
        && verify "fixture $name vs CPU" "$folder" --golden "$WORK/cpu-$name.json" --device "$DEVICE" --atol 1e-4 --rtol 1e-4
done

# 3. A bert-base-sized checkpoint (from the bundle, or written here with seeded random weights).
MODEL="$BUNDLE/bert-base"
if [ ! -f "$MODEL/model.safetensors" ]; then
    MODEL="$WORK/bert-base"
    [ -f "$MODEL/model.safetensors" ] || "$PYTHON" "$TOOLS/make_bert_base.py" "$MODEL" | tee -a "$REPORT"
fi
"$PYTHON" "$TOOLS/gpu_reference.py" golden "$MODEL" "$WORK/torch-golden.json" --inputs "$WORK/bert-inputs.json" \
    --batch 8 --seq-len "$LENGTH" --device "$DEVICE" 2>&1 | tail -1 | tee -a "$REPORT"
bi verify "$MODEL" --record "$WORK/cpu-golden.json" --ids-file "$WORK/bert-inputs.json" --device cpu --force | tee -a "$REPORT"
verify "bert-base $DEVICE vs bertinspect CPU" "$MODEL" --golden "$WORK/cpu-golden.json" --device "$DEVICE"
verify "bert-base $DEVICE vs PyTorch $DEVICE" "$MODEL" --golden "$WORK/torch-golden.json" --device "$DEVICE"
verify "bert-base cpu vs PyTorch $DEVICE" "$MODEL" --golden "$WORK/torch-golden.json" --device cpu

# 4. Timings: bench --device cuda beside PyTorch eager on the same GPU and the same shapes.
for batch in $BATCHES; do
    bi bench "$MODEL" --device "$DEVICE" --batch "$batch" --seq-len "$LENGTH" --runs "$RUNS" --json > "$WORK/results/bench-ours-$batch-fp32.json"
    "$PYTHON" "$TOOLS/gpu_reference.py" bench "$MODEL" --device "$DEVICE" --batch "$batch" --seq-len "$LENGTH" --runs "$RUNS" \
        > "$WORK/results/bench-torch-$batch-fp32.json"
    if [ "$DEVICE" = cuda ]; then
        bi bench "$MODEL" --device cuda --tf32 --batch "$batch" --seq-len "$LENGTH" --runs "$RUNS" --json > "$WORK/results/bench-ours-$batch-tf32.json"
        "$PYTHON" "$TOOLS/gpu_reference.py" bench "$MODEL" --device cuda --tf32 --batch "$batch" --seq-len "$LENGTH" --runs "$RUNS" \
            > "$WORK/results/bench-torch-$batch-tf32.json"
    fi
done

# 5. The tables.
"$PYTHON" - "$WORK/results" "$BATCHES" <<'PYTHON' | tee -a "$REPORT"
import glob, json, os, sys
results, batches = sys.argv[1], sys.argv[2].split()
failed = 0
print("\nParity (verify --json; atol = rtol = 1e-4; hidden states compared where attention_mask is 1)")
print(f"{'check':52s} {'output':20s} {'max abs':>10s} {'max rel':>10s} {'argmax':>9s}  result")
for status_file in sorted(glob.glob(os.path.join(results, "*.json.status"))):
    code, label = open(status_file).read().strip().split(" ", 1)
    output_file = status_file[:-len(".status")]
    try:
        report = json.load(open(output_file))
    except ValueError:
        failed += 1
        error = open(output_file + ".err").read().strip().splitlines()
        print(f"{label:52s} {'-':20s} {'':>10s} {'':>10s} {'':>9s}  ERROR (exit {code}): {error[-1] if error else ''}")
        continue
    failed += not report["passed"]
    for index, output in enumerate(report["outputs"]):
        argmax = f"{output['argmax_matches']}/{output['argmax_rows']}" if output["argmax_rows"] else "-"
        result = "pass" if output["passed"] else f"FAIL ({output['failing_values']} of {output['compared_values']})"
        print(f"{label if index == 0 else '':52s} {output['name']:20s} {output['max_abs_diff']:10.2e} {output['max_rel_diff']:10.2e} "
              f"{argmax:>9s}  {result}")
    print(f"{'':52s} backend: {report['backend']}")

def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None

print(f"\nTimings, bert-base forward pass, ms per batch (median); bertinspect's include copying all outputs to the host")
print(f"{'batch × length':16s} {'math':6s} {'bertinspect':>12s} {'PyTorch':>10s} {'PyTorch+copy':>13s} {'PyTorch+copy / bertinspect':>28s}")
for batch in batches:
    for math in ("fp32", "tf32"):
        ours, torch = load(f"{results}/bench-ours-{batch}-{math}.json"), load(f"{results}/bench-torch-{batch}-{math}.json")
        if not ours and not torch:
            continue
        o = ours["median_ms"] if ours else float("nan")
        t = torch["median_ms"] if torch else float("nan")
        c = torch["with_outputs_to_host_median_ms"] if torch else float("nan")
        print(f"{batch + ' × 128':16s} {math:6s} {o:12.3f} {t:10.3f} {c:13.3f} {c / o:27.2f}x")
for name in sorted({(load(path) or {}).get("backend") or (load(path) or {}).get("framework") or f"{path}: no result"
                     for path in glob.glob(f"{results}/bench-*.json")}):
    print(f"  {name}")
print(f"\n{'PASS' if failed == 0 else 'FAIL'}: {failed} parity check(s) failed")
sys.exit(1 if failed else 0)
PYTHON
parity=$?
[ $parity -ne 0 ] && failures=$((failures + 1))
[ -n "${OUT:-}" ] && cp "$REPORT" "$OUT/gpu_check_report.txt" && cp -r "$WORK/results" "$OUT/gpu_check_results"
say "gpu_check: $( [ $failures -eq 0 ] && echo "all checks passed" || echo "$failures problem(s), see above" ); report in $REPORT"
exit $(( failures == 0 ? 0 : 1 ))
