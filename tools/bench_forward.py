"""Benchmark: the bert-base forward pass (hidden 768, 12 layers, random weights) in bertinspect, ONNX Runtime,
PyTorch (eager, FP32) and TensorFlow, side by side in one run, at the same thread counts and shapes (default
batch 8 × 128 and 1 × 128, threads 1 and 2); plus the same OpenBLAS (Debian's libopenblas, the one bertinspect
links) running only the matrix products of that pass.

Rows, per shape and thread count:
  - bertinspect `bench --json` (its own warm-up and timed passes; reports the OpenBLAS kernel it ran);
  - ONNX Runtime (tools/ort_peer.py in the second venv --ort-python, default /root/ortenv; see
    tools/requirements-ort.txt):
    bert-base-pt exported once with torch.onnx.export (int64 input_ids, attention_mask, token_type_ids; dynamic
    batch and sequence axes; logits), cached in WORKDIR/onnx/model.onnx, and onnxruntime.transformers' fused BERT
    graph (optimize_model(model_type="bert", num_heads=12, hidden_size=768)) in WORKDIR/onnx/model-fused.onnx;
    both timed (CPUExecutionProvider, intra-op threads = threads, inter-op 1, ORT_SEQUENTIAL, ORT_ENABLE_ALL),
    both printed, the faster one is the ORT row of the table;
  - with --bertinspect-onnx, ONNX Runtime (same sessions, same ids) on bertinspect's own exports of bert-base-pt,
    `BIN convert bert-base-pt --to onnx --graph standard|fused` (WORKDIR/onnx/bertinspect-standard.onnx,
    bertinspect-fused.onnx, re-exported on every run), beside the torch.onnx.export graphs: printed per shape and
    as the table's columns "ORT bi-std" / "ORT bi-fus" and "fus÷ORT" (bertinspect's fused graph over the ORT column);
  - PyTorch eager, BertForSequenceClassification under torch.no_grad() (torch.set_num_threads);
  - TensorFlow, TFBertForSequenceClassification (tf-keras): a tf.function around the call, and model.predict(ids,
    batch_size=batch) the notebook's way (intra-op threads = threads, inter-op 1);
  - OpenBLAS sgemm only: the pass's matrix products alone, through the C interface, same shapes.
All peers run on the same random ids (numpy RandomState(0), 1000..28000). Each peer loads its model once per thread
count and runs every shape; every timing is the median of --runs passes after one warm-up.

Prints ms per sequence, GFLOP/s (matrix products only: 22.35 GFLOP per sequence at length 128), the ratios, and a
final table: batch, length, threads, sequences/s for bertinspect / ONNX Runtime / PyTorch / TensorFlow, the
ratios bertinspect ÷ ORT and ÷ PyTorch, bertinspect's GFLOP/s and OpenBLAS kernel, with the CPU model, whether it
has AVX-512, and the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE of the environment (both should be unset, so that
OpenBLAS picks its kernel from the CPU as it would for a user). Uses the checkpoints tools/bench_summary.py builds.

Run it with the reference venv and without OpenBLAS overrides:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /root/refenv/bin/python tools/bench_forward.py \
      --binary .build/release/bertinspect [--shapes 8x128 1x128] [--threads 1 2] [--runs 5]
Quick smoke test:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /root/refenv/bin/python tools/bench_forward.py --runs 1 --shapes 1x16 --threads 1
"""
import argparse
import ctypes
import json
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
parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--shapes", nargs="+", default=["8x128", "1x128"], help="BATCHxLENGTH entries, e.g. 8x128 1x128")
parser.add_argument("--batch", type=int, help="with --seq-len: a single shape (the old interface)")
parser.add_argument("--seq-len", type=int)
parser.add_argument("--ort-python", default="/root/ortenv/bin/python", help="python of the ONNX Runtime venv")
parser.add_argument("--skip", nargs="*", default=[], choices=("ort", "torch", "tensorflow", "sgemm"),
                    help="peers to leave out")
parser.add_argument("--bertinspect-onnx", action="store_true",
                    help="also time ONNX Runtime on bertinspect's own --to onnx exports (standard and fused graphs)")
args = parser.parse_args()
pt_dir = os.path.join(args.workdir, "bert-base-pt")
tf_dir = os.path.join(args.workdir, "bert-base-tf")
onnx_dir = os.path.join(args.workdir, "onnx")
H, I, L, HEADS = 768, 3072, 12, 12


def parse_shape(text):
    b, t = text.lower().split("x")
    return int(b), int(t)


if args.batch or args.seq_len:
    shapes = [(args.batch or 8, args.seq_len or 128)]
else:
    shapes = [parse_shape(s) for s in args.shapes]


def flops(B, T):
    return (L * (2 * B * T * H * H * 4 + 2 * B * T * H * I * 2 + 2 * 2 * B * HEADS * T * T * (H // HEADS))
            + 2 * B * H * H + 2 * B * H * 2)


PEER = r'''
import json, os, statistics, sys, time
threads, runs, framework, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
shapes = [tuple(int(v) for v in s.split("x")) for s in sys.argv[5].split(",")]
import numpy as np
def ids_for(batch, length):
    return np.random.RandomState(0).randint(1000, 28000, size=(batch, length)).astype("int32")
def timed(fn):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}
rows = []
if framework == "torch":
    import torch
    torch.set_num_threads(threads)
    from transformers import BertForSequenceClassification
    model = BertForSequenceClassification.from_pretrained(folder).eval()
    extra = "eager, no_grad, intra-op threads %d, torch %s" % (torch.get_num_threads(), torch.__version__)
    for batch, length in shapes:
        x = torch.tensor(ids_for(batch, length), dtype=torch.long)
        with torch.no_grad():
            rows.append(dict(timed(lambda: model(input_ids=x)), variant="torch", batch=batch, length=length, extra=extra))
else:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from transformers import TFBertForSequenceClassification
    model = TFBertForSequenceClassification.from_pretrained(folder)
    call = tf.function(lambda x: model(input_ids=x, training=False).logits)
    for batch, length in shapes:
        ids = ids_for(batch, length)
        x = tf.constant(ids)
        rows.append(dict(timed(lambda: call(x).numpy()), variant="tf.function", batch=batch, length=length,
                         extra="tf.function, intra-op threads %d, TF %s" % (threads, tf.__version__)))
        rows.append(dict(timed(lambda: model.predict({"input_ids": ids}, batch_size=batch, verbose=0)), variant="predict",
                         batch=batch, length=length,
                         extra="model.predict(batch_size=%d), intra-op threads %d" % (batch, threads)))
sys.stdout.flush()
print(json.dumps(rows))
'''


def openblas_gemm_only(threads, B, T):
    """The pass's matrix products alone, on Debian's OpenBLAS through its C interface."""
    lib = ctypes.CDLL("/usr/lib/x86_64-linux-gnu/libopenblas.so.0")
    lib.openblas_set_num_threads(threads)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    import numpy as np
    rng = np.random.default_rng(0)
    def buf(*shape):
        return np.ascontiguousarray(rng.standard_normal(shape, dtype=np.float32))
    x, w, wi, wo = buf(B * T, H), buf(H, H), buf(H, I), buf(I, H)
    out_h, out_i = buf(B * T, H), buf(B * T, I)
    q, k, scores, ctx = buf(T, H // HEADS), buf(T, H // HEADS), buf(T, T), buf(T, H // HEADS)
    f = ctypes.c_float
    p = lambda a: a.ctypes.data_as(ctypes.c_void_p)
    RowMajor, NoTrans, Trans = 101, 111, 112
    def gemm(ta, tb, m, n, k_, a, lda, b, ldb, c, ldc):
        lib.cblas_sgemm(RowMajor, ta, tb, m, n, k_, f(1), p(a), lda, p(b), ldb, f(0), p(c), ldc)
    def one_pass():
        for _ in range(L):
            for _ in range(4):
                gemm(NoTrans, NoTrans, B * T, H, H, x, H, w, H, out_h, H)
            gemm(NoTrans, NoTrans, B * T, I, H, x, H, wi, I, out_i, I)
            gemm(NoTrans, NoTrans, B * T, H, I, out_i, I, wo, H, out_h, H)
            for _ in range(B * HEADS):
                gemm(NoTrans, Trans, T, T, H // HEADS, q, H // HEADS, k, H // HEADS, scores, T)
                gemm(NoTrans, NoTrans, T, H // HEADS, T, scores, T, ctx, H // HEADS, ctx, H // HEADS)
    one_pass()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter(); one_pass(); times.append(time.perf_counter() - start)
    return statistics.median(times), lib.openblas_get_corename().decode()


def cpu_info():
    model, avx512, avx2, _ = bench_common.cpu_info()
    return model, ("yes (" + " ".join(avx512) + ")") if avx512 else "no", avx2


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def run_peer(cmd, threads, label):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS=str(threads),
               TOKENIZERS_PARALLELISM="false")
    peer = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if peer.returncode != 0:
        print(f"  {label} failed (exit {peer.returncode}): {peer.stderr[-800:]}")
        return None
    return last_json(peer.stdout)


cpu_model, avx512, avx2 = cpu_info()
env_note = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
shape_text = ", ".join(f"{b} × {t} ({flops(b, t) / b / 1e9:.2f} GFLOP/sequence)" for b, t in shapes)
print(f"bert-base forward pass, shapes {shape_text} (matrix products); {args.runs} timed runs after 1 warm-up")
print(f"machine: {cpu_model}, {os.cpu_count()} cores, AVX-512: {avx512}, AVX2: {'yes' if avx2 else 'no'}")
print(f"environment: {env_note}" + ("   <- set: OpenBLAS does not pick its kernel from the CPU; run with env -u"
                                    if any(env_note.values()) else ""))

ort_ok = "ort" not in args.skip
if ort_ok:
    result = subprocess.run([args.ort_python, os.path.join(TOOLS, "ort_peer.py"), "export", pt_dir, onnx_dir],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"ONNX export failed (exit {result.returncode}): {result.stderr[-1200:]}")
        ort_ok = False
    else:
        print(f"onnx graphs: {result.stdout.strip().splitlines()[-1]}")
extra_models = []   # ort_peer.py --extra-model LABEL=PATH: bertinspect's own exports
ORT_LABELS = {"onnx": "onnxruntime exported graph", "onnx-fused": "onnxruntime fused BERT graph",
              "bertinspect-standard": "onnxruntime on bertinspect's standard graph",
              "bertinspect-fused": "onnxruntime on bertinspect's fused graph"}
if ort_ok and args.bertinspect_onnx:
    for graph in ("standard", "fused"):
        path = os.path.join(onnx_dir, f"bertinspect-{graph}.onnx")
        start = time.perf_counter()
        result = subprocess.run([args.binary, "convert", pt_dir, "--to", "onnx", "--graph", graph, "-o", path, "--force"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"bertinspect --to onnx --graph {graph} failed (exit {result.returncode}): {result.stderr[-800:]}")
            continue
        status = (result.stdout.strip() or result.stderr.strip()).splitlines()[-1]
        print(f"bertinspect onnx ({time.perf_counter() - start:.1f} s): {status}")
        extra_models.append(f"bertinspect-{graph}={path}")

shape_arg = ",".join(f"{b}x{t}" for b, t in shapes)
table = []   # one dict per (shape, threads)
for threads in args.threads:
    per_shape = {shape: {} for shape in shapes}   # shape -> {column: (label, seconds)}
    for B, T in shapes:
        result = subprocess.run([args.binary, "bench", pt_dir, "--batch", str(B), "--seq-len", str(T), "--threads",
                                 str(threads), "--runs", str(args.runs), "--json", "--device", "cpu"],
                                capture_output=True, text=True, check=True)
        ours = json.loads(result.stdout)
        per_shape[(B, T)]["bertinspect"] = (f"bertinspect (CPU, OpenBLAS {ours['openblas_core']})", ours["median_ms"] / 1000,
                                            ours)
    if ort_ok:
        data = run_peer([args.ort_python, os.path.join(TOOLS, "ort_peer.py"), "bench", onnx_dir, "--threads", str(threads),
                         "--runs", str(args.runs), "--shapes", *[f"{b}x{t}" for b, t in shapes],
                         *[a for m in extra_models for a in ("--extra-model", m)]], threads, "onnxruntime")
        if data:
            for row in data["rows"]:
                per_shape[(row["batch"], row["length"])][row["graph"]] = (
                    f"{ORT_LABELS.get(row['graph'], 'onnxruntime ' + row['graph'])} ({data['extra']})", row["median"], row)
    for framework, folder in (("torch", pt_dir), ("tensorflow", tf_dir)):
        if framework in args.skip:
            continue
        data = run_peer([sys.executable, "-c", PEER, str(threads), str(args.runs), framework, folder, shape_arg],
                        threads, framework)
        for row in data or []:
            label = "pytorch" if framework == "torch" else f"tensorflow {row['variant']}"
            per_shape[(row["batch"], row["length"])][label] = (f"{label} ({row['extra']})", row["median"], row)
    for B, T in shapes:
        rows = per_shape[(B, T)]
        if "sgemm" not in args.skip:
            gemm_seconds, core = openblas_gemm_only(threads, B, T)
            rows["sgemm"] = (f"OpenBLAS {core} sgemm only, same shapes", gemm_seconds, None)
        F = flops(B, T)
        print(f"\nbatch {B} × {T}, {threads} thread(s):")
        width = max(len(name) for name, _, _ in rows.values())
        for name, seconds, _ in rows.values():
            print(f"  {name:{width}s} {seconds / B * 1000:9.2f} ms/sequence  {F / seconds / 1e9:7.1f} GFLOP/s")
        ours_s = rows["bertinspect"][1]
        for key, (name, seconds, _) in rows.items():
            if key != "bertinspect":
                print(f"  bertinspect throughput / {name.split(' (')[0]}: {seconds / ours_s:.2f}x")
        ort = [rows[k][1] for k in ("onnx", "onnx-fused") if k in rows]
        ort_best = min(ort) if ort else None
        ort_which = None
        if ort:
            ort_which = "fused" if rows.get("onnx-fused", (0, float("inf")))[1] <= rows.get("onnx", (0, float("inf")))[1] else "plain"
        seqs = lambda key: B / rows[key][1] if key in rows else None
        table.append({"batch": B, "length": T, "threads": threads, "bertinspect": B / ours_s,
                      "ort": B / ort_best if ort_best else None, "ort_graph": ort_which,
                      "torch": seqs("pytorch"), "tf": seqs("tensorflow tf.function"), "tf_predict": seqs("tensorflow predict"),
                      "sgemm": seqs("sgemm"), "gflops": F / ours_s / 1e9, "core": rows["bertinspect"][2]["openblas_core"],
                      "bi_std": seqs("bertinspect-standard"), "bi_fused": seqs("bertinspect-fused"),
                      "ours_threads": rows["bertinspect"][2].get("threads", threads)})


def cell(value, width=8, fmt="{:.2f}"):
    return (fmt.format(value) if value is not None else "—").rjust(width)


print(f"\nSummary (sequences/s, median of {args.runs}; ORT = the faster of the exported and fused graphs)")
print(f"CPU: {cpu_model}, {os.cpu_count()} cores, AVX-512: {avx512}; OPENBLAS_CORETYPE={env_note['OPENBLAS_CORETYPE']}, "
      f"OPENBLAS_L2_SIZE={env_note['OPENBLAS_L2_SIZE']}")
bi_cols = args.bertinspect_onnx and ort_ok
header = (f"{'batch':>5} {'len':>5} {'thr':>4} {'bertinspect':>11} {'ORT':>8} {'graph':>6} "
          + (f"{'ORT bi-std':>10} {'ORT bi-fus':>10} {'fus÷ORT':>7} " if bi_cols else "")
          + f"{'PyTorch':>8} {'TF fn':>8} {'TF pred':>8} {'sgemm':>8} {'÷ORT':>6} {'÷PT':>6} {'GFLOP/s':>8}  OpenBLAS")
print(header)
print("-" * len(header))
for r in table:
    ratio_ort = r["bertinspect"] / r["ort"] if r["ort"] else None
    ratio_pt = r["bertinspect"] / r["torch"] if r["torch"] else None
    bi = ""
    if bi_cols:
        ratio_bi = r["bi_fused"] / r["ort"] if r["bi_fused"] and r["ort"] else None
        bi = f"{cell(r['bi_std'], 10)} {cell(r['bi_fused'], 10)} {cell(ratio_bi, 7)} "
    print(f"{r['batch']:>5} {r['length']:>5} {r['threads']:>4} {cell(r['bertinspect'], 11)} {cell(r['ort'])} "
          f"{(r['ort_graph'] or '—'):>6} {bi}{cell(r['torch'])} {cell(r['tf'])} {cell(r['tf_predict'])} {cell(r['sgemm'])} "
          f"{cell(ratio_ort, 6)} {cell(ratio_pt, 6)} {cell(r['gflops'], 8, '{:.1f}')}  {r['core']} ({r['ours_threads']} thr)")
print("÷ORT, ÷PT: bertinspect sequences/s over the peer's (above 1: bertinspect is faster). Threads: bertinspect "
      "--threads, ORT intra_op_num_threads (inter-op 1), torch.set_num_threads, TF intra-op (inter-op 1); "
      "OMP_NUM_THREADS = threads for every peer.")
if bi_cols:
    print("ORT bi-std, ORT bi-fus: ONNX Runtime (same session options) on bertinspect's --to onnx --graph standard / fused "
          "exports; fus÷ORT: bi-fus sequences/s over the ORT column (torch.onnx.export graphs; above 1: bertinspect's "
          "fused graph runs faster).")
