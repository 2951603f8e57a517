"""Benchmark: the bert-base forward pass (hidden 768, 12 layers, batch 8 × 128, random weights) in bertinspect,
PyTorch (eager, FP32) and TensorFlow, side by side in one run, at the same thread counts; plus the same OpenBLAS
(Debian's libopenblas, the one bertinspect links) running only the matrix products of that pass.

Prints ms per sequence, GFLOP/s (22.35 GFLOP per sequence at length 128, matrix products only), the ratios, and
which OpenBLAS kernel ran. Uses the checkpoints tools/bench_summary.py builds.
Run: python tools/bench_forward.py --binary .build/release/bertinspect [--threads 1 2] [--runs 5]
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--workdir", default="/tmp/bertinspect-bench")
parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--seq-len", type=int, default=128)
args = parser.parse_args()
pt_dir = os.path.join(args.workdir, "bert-base-pt")
tf_dir = os.path.join(args.workdir, "bert-base-tf")
B, T = args.batch, args.seq_len
H, I, L, HEADS = 768, 3072, 12, 12
FLOPS = L * (2 * B * T * H * H * 4 + 2 * B * T * H * I * 2 + 2 * 2 * B * HEADS * T * T * (H // HEADS)) + 2 * B * H * H + 2 * B * H * 2

PEER = r'''
import json, os, statistics, sys, time
threads, runs, batch, length, framework, folder = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
import numpy as np
ids = np.random.RandomState(0).randint(1000, 28000, size=(batch, length)).astype("int32")
times = []
if framework == "torch":
    import torch
    torch.set_num_threads(threads)
    from transformers import BertForSequenceClassification
    model = BertForSequenceClassification.from_pretrained(folder).eval()
    x = torch.tensor(ids, dtype=torch.long)
    with torch.no_grad():
        model(input_ids=x)
        for _ in range(runs):
            start = time.perf_counter(); model(input_ids=x); times.append(time.perf_counter() - start)
    extra = torch.__config__.parallel_info().splitlines()[0]
else:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from transformers import TFBertForSequenceClassification
    model = TFBertForSequenceClassification.from_pretrained(folder)
    call = tf.function(lambda x: model(input_ids=x, training=False).logits)
    x = tf.constant(ids)
    call(x)
    for _ in range(runs):
        start = time.perf_counter(); call(x).numpy(); times.append(time.perf_counter() - start)
    extra = "tf.function, intra-op threads %d" % threads
print(json.dumps({"median": statistics.median(times), "min": min(times), "max": max(times), "extra": extra}))
'''


def openblas_gemm_only(threads):
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


print(f"bert-base forward pass, batch {B} × {T}, {FLOPS / B / 1e9:.2f} GFLOP per sequence (matrix products); "
      f"{args.runs} timed runs after 1 warm-up; machine: {os.cpu_count()} cores")
env_note = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
print(f"environment: {env_note}")
for threads in args.threads:
    rows = []
    result = subprocess.run([args.binary, "bench", pt_dir, "--batch", str(B), "--seq-len", str(T), "--threads", str(threads),
                             "--runs", str(args.runs), "--json"], capture_output=True, text=True, check=True)
    ours = json.loads(result.stdout)
    rows.append(("bertinspect (CPU, OpenBLAS %s)" % ours["openblas_core"], ours["median_ms"] / 1000))
    for framework, folder in (("torch", pt_dir), ("tensorflow", tf_dir)):
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS=str(threads))
        peer = subprocess.run([sys.executable, "-c", PEER, str(threads), str(args.runs), str(B), str(T), framework, folder],
                              capture_output=True, text=True, env=env)
        if peer.returncode != 0:
            print(f"{framework} failed: {peer.stderr[-800:]}")
            continue
        data = json.loads(peer.stdout.strip().splitlines()[-1])
        rows.append((f"{framework} ({data['extra']})", data["median"]))
    gemm_seconds, core = openblas_gemm_only(threads)
    rows.append((f"OpenBLAS {core} sgemm only, same shapes", gemm_seconds))
    print(f"\n{threads} thread(s):")
    for name, seconds in rows:
        print(f"  {name:58s} {seconds / B * 1000:8.1f} ms/sequence  {FLOPS / seconds / 1e9:7.1f} GFLOP/s")
    ours_s = rows[0][1]
    for name, seconds in rows[1:]:
        print(f"  bertinspect throughput / {name.split(' (')[0]}: {seconds / ours_s:.2f}x")
