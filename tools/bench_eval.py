"""Benchmark: real-text throughput of bert-base sequence classification at --max-length 512 on a synthetic IMDB-like
review set (tools/make_review_set.py), bertinspect `eval` against ONNX Runtime and PyTorch fed the way a typical
script does, at the same thread counts; plus bertinspect eval's memory.

Throughput (the first --count reviews of --reviews; all of IMDB's 25,000 is far too slow on a small CPU machine:
bert-base runs a few sequences/s at length 512 on 2 cores):
  - bertinspect: `BIN eval MODEL --input REVIEWS.csv --text-column review --label-column label --max-length 512
    --batch-size 32 --threads T --device cpu --json`, in its default batching (a binary with --file-order groups texts
    of similar length) and, when the binary has it, with --file-order (batches as a script makes them); its
    sequences/s, tokens/s and padding fraction come from its JSON, its peak RSS from wait4();
  - ONNX Runtime (tools/ort_peer.py eval in --ort-python, default /root/ortenv; the exported or fused graph of
    tools/bench_forward.py, whichever a 2 × 256 probe finds faster) and PyTorch eager (tools/ort_peer.py eval
    --backend torch in this interpreter, /root/refenv): transformers' BertTokenizer on the model folder's vocab.txt
    (lower-cased, truncation=True, max_length=512), batches of 32 in file order, each padded to its longest; the
    clock runs from the first tokenization to the last argmax, as bertinspect's does (model loading excluded).
The table gives sequences/s, real tokens/s (with [CLS]/[SEP]), padding (share of computed positions that are
padding), peak RSS, and the ratios bertinspect ÷ ORT and ÷ PyTorch, with the thread counts and CPU features.

Memory: peak RSS of bertinspect eval (--threads 1) on a CSV of N1 and of N2 short texts (default 1,000 and 100,000:
fixtures/eval-sentiment/test.csv's rows repeated) with the small fixture model fixtures/eval-sentiment/model; eval
streams its input, so the ratio should stay near 1. And the bound "bert-base weights (model.safetensors) + 300 MB"
against the peak RSS of the bert-base eval at batch 32 × 512 above.

Needs the bert-base checkpoint of tools/bench_summary.py (WORKDIR/bert-base-pt). Writes its vocab.txt and
tokenizer_config.json (tools/make_review_set.py --write-vocab-to) and WORKDIR/reviews.csv (25,000 reviews, seed 0)
when missing.
Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /root/refenv/bin/python tools/bench_eval.py \
         --binary .build/release/bertinspect [--count 256] [--threads 1 2]
Smoke test: ... tools/bench_eval.py --count 8 --threads 1 --memory-counts 200 2000
"""
import argparse
import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--workdir", default="/tmp/bertinspect-bench")
parser.add_argument("--model", help="bert-base classifier folder (default WORKDIR/bert-base-pt)")
parser.add_argument("--reviews", help="review CSV (default WORKDIR/reviews.csv, made by tools/make_review_set.py if missing)")
parser.add_argument("--count", type=int, default=256, help="reviews to run (the first COUNT of --reviews)")
parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
parser.add_argument("--max-length", type=int, default=512)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--ort-python", default="/root/ortenv/bin/python")
parser.add_argument("--ort-graph", choices=("auto", "onnx", "onnx-fused"), default="auto")
parser.add_argument("--file-order", choices=("auto", "yes", "no"), default="auto",
                    help="also run bertinspect eval --file-order (auto: when the binary has the option)")
parser.add_argument("--memory-counts", type=int, nargs=2, default=[1000, 100000], metavar=("N1", "N2"))
parser.add_argument("--memory-model", default=os.path.join(REPO, "fixtures", "eval-sentiment", "model"))
parser.add_argument("--memory-texts", default=os.path.join(REPO, "fixtures", "eval-sentiment", "test.csv"))
parser.add_argument("--skip", nargs="*", default=[], choices=("bertinspect", "ort", "torch", "memory"))
args = parser.parse_args()
model_dir = args.model or os.path.join(args.workdir, "bert-base-pt")
reviews = args.reviews or os.path.join(args.workdir, "reviews.csv")
onnx_dir = os.path.join(args.workdir, "onnx")
PEER_ENV = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", TOKENIZERS_PARALLELISM="false")


def measured(cmd, env=None):
    """Runs cmd; returns (exit code, stdout, stderr, wall seconds, peak RSS in bytes) with the child's own rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(), err.read().decode(), wall, usage.ru_maxrss * 1024


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def cpu_info():
    model, avx512, avx2, fma = bench_common.cpu_info()
    features = ("AVX-512 yes (" + " ".join(avx512) + ")") if avx512 else "AVX-512 no"
    return model, features + (", AVX2 yes" if avx2 else ", AVX2 no") + (", FMA yes" if fma else "")


def mb(n):
    if n is None:
        return "—"
    return f"{n / 2**20:,.1f} MiB" if abs(n) < 100 * 2**20 else f"{n / 2**20:,.0f} MiB"


def prepare():
    vocab = os.path.join(model_dir, "vocab.txt")
    maker = os.path.join(TOOLS, "make_review_set.py")
    if not os.path.exists(vocab):
        subprocess.run([sys.executable, maker, "--write-vocab-to", model_dir], check=True)
    if not os.path.exists(reviews):
        subprocess.run([sys.executable, maker, "--vocab", vocab, "--out", reviews, "--count", "25000", "--seed", "0"],
                       check=True)
    subset = os.path.join(args.workdir, f"reviews-first{args.count}.csv")
    with open(reviews, newline="", encoding="utf-8") as f, open(subset, "w", newline="", encoding="utf-8") as g:
        reader, writer = csv.reader(f), csv.writer(g)
        rows = list(itertools.islice(reader, args.count + 1))
        writer.writerows(rows)
    if len(rows) - 1 < args.count:
        print(f"note: {reviews} has only {len(rows) - 1} reviews")
    return vocab, subset


def bertinspect_eval(path, csv_path, threads, max_length, extra=()):
    cmd = [args.binary, "eval", path, "--input", csv_path, "--text-column", "review", "--label-column", "label",
           "--max-length", str(max_length), "--batch-size", str(args.batch_size), "--threads", str(threads),
           "--device", "cpu", "--json", "--quiet", *extra]
    code, out, err, wall, rss = measured(cmd)
    if code != 0:
        print(f"  bertinspect eval failed (exit {code}): {err[-800:]}")
        return None
    data = json.loads(out)
    data.update(wall_s=wall, peak_rss=rss)
    return data


def peer_eval(python, backend, target, vocab, subset, threads):
    cmd = [python, os.path.join(TOOLS, "ort_peer.py"), "eval", target, "--threads", str(threads), "--input", subset,
           "--text-column", "review", "--count", str(args.count), "--vocab", vocab, "--max-length", str(args.max_length),
           "--batch-size", str(args.batch_size), "--backend", backend, "--graph", args.ort_graph]
    code, out, err, wall, rss = measured(cmd, env=dict(PEER_ENV, OMP_NUM_THREADS=str(threads)))
    if code != 0:
        print(f"  {backend} failed (exit {code}): {err[-800:]}")
        return None
    data = last_json(out)
    data.update(wall_s=wall, peak_rss=rss)
    return data


def cell(value, width, fmt="{:.2f}"):
    return (fmt.format(value) if value is not None else "—").rjust(width)


cpu_model, features = cpu_info()
env_note = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
print(f"machine: {cpu_model}, {os.cpu_count()} cores, {features}")
print(f"environment: {env_note}" + ("   <- set: OpenBLAS does not pick its kernel from the CPU; run with env -u"
                                    if any(env_note.values()) else ""))
eval_help = subprocess.run([args.binary, "eval", "--help"], capture_output=True, text=True).stdout
file_order = args.file_order == "yes" or (args.file_order == "auto" and "--file-order" in eval_help)
rows = []   # (threads, label, dict)
bert_base_rss = []
if {"bertinspect", "ort", "torch"} - set(args.skip):
    vocab, subset = prepare()
    print(f"texts: the first {args.count} reviews of {reviews} ({subset}); max length {args.max_length}, "
          f"batch size {args.batch_size}; model {model_dir}")
    if "ort" not in args.skip:
        result = subprocess.run([args.ort_python, os.path.join(TOOLS, "ort_peer.py"), "export", model_dir, onnx_dir],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"ONNX export failed: {result.stderr[-1200:]}")
            args.skip.append("ort")
    for threads in args.threads:
        print(f"\n{threads} thread(s):")
        if "bertinspect" not in args.skip:
            modes = [("bertinspect", ())] + ([("bertinspect --file-order", ("--file-order",))] if file_order else [])
            for label, extra in modes:
                data = bertinspect_eval(model_dir, subset, threads, args.max_length, extra)
                if data:
                    rows.append((threads, label, data))
                    bert_base_rss.append(data["peak_rss"])
        if "ort" not in args.skip:
            data = peer_eval(args.ort_python, "onnxruntime", onnx_dir, vocab, subset, threads)
            if data:
                rows.append((threads, f"ONNX Runtime ({data['graph']})", data))
        if "torch" not in args.skip:
            data = peer_eval(sys.executable, "torch", model_dir, vocab, subset, threads)
            if data:
                rows.append((threads, "PyTorch eager", data))
        for t, label, data in rows:
            if t != threads:
                continue
            tokens = data.get("tokens")
            if tokens is None and data.get("sequences_per_second"):
                tokens = round(data["tokens_per_second"] * data["examples"] / data["sequences_per_second"])
            pad = data.get("padding_fraction")
            detail = (f"tokenize {data['tokenize_s']:.2f} s, forward {data['forward_s']:.2f} s, {data['extra']}"
                      if "forward_s" in data else f"batching {data.get('batching', 'file order (binary without --file-order)')}, "
                                                   f"truncated {data.get('truncated')}")
            print(f"  {label:34s} {data['sequences_per_second']:8.3f} seq/s {data['tokens_per_second']:9.1f} tok/s  "
                  f"{tokens} real tokens, padding {'—' if pad is None else f'{pad * 100:.1f}%'}, "
                  f"peak RSS {mb(data['peak_rss'])}, process wall {data['wall_s']:.1f} s; {detail}")

    print(f"\nSummary: {args.count} reviews, max length {args.max_length}, batch {args.batch_size} "
          f"(peers in file order, each batch padded to its longest)")
    print(f"CPU: {cpu_model}, {os.cpu_count()} cores, {features}; OPENBLAS_CORETYPE={env_note['OPENBLAS_CORETYPE']}, "
          f"OPENBLAS_L2_SIZE={env_note['OPENBLAS_L2_SIZE']}")
    header = f"{'thr':>3}  {'engine':34s} {'seq/s':>8} {'tokens/s':>9} {'padding':>8} {'peak RSS':>10} {'÷ORT':>6} {'÷PT':>6}"
    print(header)
    print("-" * len(header))
    for threads in args.threads:
        here = [(label, d) for t, label, d in rows if t == threads]
        ort = next((d for label, d in here if label.startswith("ONNX")), None)
        pt = next((d for label, d in here if label.startswith("PyTorch")), None)
        for label, d in here:
            ours = label.startswith("bertinspect")
            r_ort = d["sequences_per_second"] / ort["sequences_per_second"] if ours and ort else None
            r_pt = d["sequences_per_second"] / pt["sequences_per_second"] if ours and pt else None
            pad = d.get("padding_fraction")
            print(f"{threads:>3}  {label:34s} {d['sequences_per_second']:8.3f} {d['tokens_per_second']:9.1f} "
                  f"{cell(None if pad is None else pad * 100, 8, '{:.1f}%')} {mb(d['peak_rss']):>10} "
                  f"{cell(r_ort, 6)} {cell(r_pt, 6)}")
    print("÷ORT, ÷PT: bertinspect sequences/s over the peer's at the same thread count (bertinspect --threads = "
          "OpenBLAS threads; ORT intra_op_num_threads, inter-op 1; torch.set_num_threads; OMP_NUM_THREADS = threads).")

if "memory" not in args.skip:
    n1, n2 = args.memory_counts
    with open(args.memory_texts, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        source = [(r["review"], r["label"]) for r in reader]
    print(f"\nMemory: bertinspect eval --threads 1 on N short texts ({os.path.relpath(args.memory_texts, REPO)} rows "
          f"repeated), model {os.path.relpath(args.memory_model, REPO)}")
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (n1, n2):
            path = os.path.join(tmp, f"short-{n}.csv")
            with open(path, "w", newline="", encoding="utf-8") as g:
                writer = csv.writer(g)
                writer.writerow(["review", "label"])
                for i in range(n):
                    writer.writerow(source[i % len(source)])
            size = os.path.getsize(path)
            data = bertinspect_eval(args.memory_model, path, 1, 64)
            if data:
                peaks[n] = data["peak_rss"]
                print(f"  N = {n:>7,}: input {size / 2**20:7.1f} MiB, peak RSS {mb(data['peak_rss'])}, "
                      f"{data['examples']:,} examples, wall {data['wall_s']:.1f} s")
    if len(peaks) == 2:
        print(f"  peak RSS ratio N2/N1 ({n2:,} / {n1:,} texts): {peaks[n2] / peaks[n1]:.3f}")
    weights = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(weights):
        size = os.path.getsize(weights)
        bound = size + 300 * 2**20
        if bert_base_rss:
            peak = max(bert_base_rss)
            print(f"  bert-base: weights {mb(size)} + 300 MiB = {mb(bound)} bound; peak RSS of eval at batch "
                  f"{args.batch_size} × {args.max_length}: {mb(peak)} -> {'within' if peak <= bound else 'OVER'} the bound "
                  f"(margin {mb(bound - peak)})")
        else:
            print(f"  bert-base: weights {mb(size)} + 300 MiB = {mb(bound)} bound (no bert-base eval ran)")
