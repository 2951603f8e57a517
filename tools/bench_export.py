"""Benchmark: `bertinspect convert --to onnx` and `--to gguf` on a bert-base-sized checkpoint against a durable copy of
the same bytes.

Uses WORKDIR/bert-base-pt (BertForSequenceClassification.save_pretrained, bert-base-cased sizes, random weights,
~433 MB model.safetensors, vocab.txt; built as tools/bench_summary.py and tools/make_review_set.py --write-vocab-to
build them when missing: the GGUF export needs the vocabulary). Times, in one run, the median wall time of --runs
process runs (after one untimed warm-up of each, page cache warm, the output removed before every run) and the peak
RSS (wait4's ru_maxrss) of:
  - floor: a Python copy of model.safetensors into the output folder (16 MiB reads and writes, then os.fsync), the
    same number of bytes as an f32 export, made as durable as bertinspect makes its output;
  - bertinspect convert MODEL --to onnx --graph standard, and --graph fused;
  - bertinspect convert MODEL --to gguf --dtype f32, f16 and q8_0.
All outputs go to the same folder (WORKDIR/export-out), so every row writes to the same file system. Prints each
row's median, min and max, output size, MB/s of output, ratio to the copy and peak RSS, against the goals: an export
at most 1.5x the durable copy, peak RSS at most 150 MB. Also prints the CPU (tools/bench_common.py) and the file
system of the output folder.
Run: python3 tools/bench_export.py --binary .build/release/bertinspect [--runs 3]   (make bench-export)
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--workdir", default="/tmp/bertinspect-bench")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--only", help="run only the rows whose name contains this text (the copy always runs)")
parser.add_argument("--python", default="/root/refenv/bin/python",
                    help="python with transformers + torch, to build the checkpoint when it is missing")
args = parser.parse_args()
GOAL_RATIO, GOAL_RSS_MB = 1.5, 150
pt_dir = os.path.join(args.workdir, "bert-base-pt")
source = os.path.join(pt_dir, "model.safetensors")
out = os.path.join(args.workdir, "export-out")

BUILD = r'''
import os, sys, torch
from transformers import BertConfig, BertForSequenceClassification
config = BertConfig(vocab_size=28996, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, num_labels=2)
torch.manual_seed(0)
BertForSequenceClassification(config).save_pretrained(sys.argv[1])
'''
COPY = r'''
import os, sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
    while True:
        chunk = src.read(16 << 20)
        if not chunk:
            break
        dst.write(chunk)
    dst.flush()
    os.fsync(dst.fileno())
'''


def build():
    if not os.path.exists(source):
        print(f"building {pt_dir} (BertForSequenceClassification, bert-base-cased sizes, random weights)")
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
        subprocess.run([args.python, "-c", BUILD, pt_dir], check=True, env=env)
    if not os.path.exists(os.path.join(pt_dir, "vocab.txt")):
        subprocess.run([args.python, os.path.join(TOOLS, "make_review_set.py"), "--write-vocab-to", pt_dir], check=True)


def timed(command):
    """(seconds, peak RSS in MB, stderr) of one process run."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"failed (exit {proc.returncode}): {' '.join(command)}\n{stderr.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stderr.decode(errors="replace")


def remove(*paths):
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def measure(command, outputs):
    remove(*outputs)
    timed(command)  # warm-up: source in the page cache, binary loaded
    times, peaks = [], []
    for _ in range(args.runs):
        remove(*outputs)
        os.sync()  # no dirty pages of the previous run left to flush on this run's clock
        seconds, peak, _ = timed(command)
        times.append(seconds)
        peaks.append(peak)
    size = sum(os.path.getsize(p) for p in outputs if os.path.exists(p))
    remove(*outputs)
    return statistics.median(times), min(times), max(times), max(peaks), size


help_text = subprocess.run([args.binary, "convert", "--help"], capture_output=True, text=True).stdout
if "onnx" not in help_text or "gguf" not in help_text:
    sys.exit(f"{args.binary} convert has no --to onnx / --to gguf: rebuild it (make release) or pass --binary")
build()
os.makedirs(out, exist_ok=True)
model, avx512, avx2, fma = bench_common.cpu_info()
fs = subprocess.run(["stat", "-f", "-c", "%T", out], capture_output=True, text=True).stdout.strip() or "unknown"
version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout.strip()
print(f"machine: {model}, {os.cpu_count()} cores, AVX-512: {'yes (' + ' '.join(avx512) + ')' if avx512 else 'no'}, "
      f"AVX2: {'yes' if avx2 else 'no'}, FMA: {'yes' if fma else 'no'}")
print(f"binary: {args.binary} ({version}); source {source} ({os.path.getsize(source) / 1e6:.0f} MB); "
      f"outputs in {out} (file system {fs})")
print(f"{args.runs} timed runs each after 1 warm-up; page cache warm; output removed and os.sync() before each run")

copy_out = os.path.join(out, "copy.safetensors")
rows = [("python copy + fsync (floor)", [sys.executable, "-c", COPY, source, copy_out], [copy_out])]
for graph in ("standard", "fused"):
    target = os.path.join(out, f"model-{graph}.onnx")
    rows.append((f"bertinspect --to onnx --graph {graph}",
                 [args.binary, "convert", pt_dir, "--to", "onnx", "--graph", graph, "-o", target, "--quiet"],
                 [target, target + ".data"]))
for dtype in ("f32", "f16", "q8_0"):
    target = os.path.join(out, f"model-{dtype}.gguf")
    rows.append((f"bertinspect --to gguf --dtype {dtype}",
                 [args.binary, "convert", pt_dir, "--to", "gguf", "--dtype", dtype, "-o", target, "--quiet"], [target]))
if args.only:
    rows = rows[:1] + [row for row in rows[1:] if args.only in row[0]]

results = []
floor = None
for name, command, outputs in rows:
    median, low, high, peak, size = measure(command, outputs)
    floor = floor or median
    results.append((name, median, low, high, peak, size))
    print(f"{name:38s} median {median * 1000:7.0f} ms (min {low * 1000:.0f}, max {high * 1000:.0f})  "
          f"output {size / 1e6:6.1f} MB  {size / 1e6 / median:6.0f} MB/s  {median / floor:5.2f}x copy  "
          f"peak RSS {peak:5.0f} MB", flush=True)

print(f"\ngoals: export <= {GOAL_RATIO}x the durable copy ({floor * 1000:.0f} ms), peak RSS <= {GOAL_RSS_MB} MB")
misses = 0
for name, median, _, _, peak, _ in results[1:]:
    ratio_ok, rss_ok = median / floor <= GOAL_RATIO, peak <= GOAL_RSS_MB
    misses += (not ratio_ok) + (not rss_ok)
    print(f"  {name:38s} {median / floor:5.2f}x {'ok' if ratio_ok else 'OVER':4s}   {peak:5.0f} MB {'ok' if rss_ok else 'OVER'}")
print(f"{len(results) - 1} exports, {misses} goal(s) missed")
