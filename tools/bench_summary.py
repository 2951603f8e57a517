"""Benchmark: `bertinspect summary` on bert-base-sized checkpoints against a tiny fixture and the Python listing.

Builds (once, cached in --workdir) bert-base-cased-sized checkpoints with random weights, written by the real
frameworks: TFBertForSequenceClassification.save_pretrained (tf_model.h5) and BertForSequenceClassification
.save_pretrained (model.safetensors), hidden 768, 12 layers, vocab 28996, ~440 MB each. Then times, in one run,
the median wall time of N process runs of:
  - bertinspect summary on each bert-base file and on fixtures/tf-seqcls/tf_model.h5 (tiny), and on the safetensors
    file given five times (one process), which splits its time into process start, one-time costs and work;
  - python -c '<h5py listing every dataset with its shape>' and '<safetensors.safe_open listing every tensor>';
  - bertinspect summary and torch.load(weights_only=True, mmap=True) on a pytorch_model.bin of the same model
    (save_pretrained(safe_serialization=False)), and bertinspect summary on the TF model's save_weights("weights")
    TF checkpoint;
  - bertinspect --version (process start alone) and h5ls -r (HDF5's own lister, Debian's hdf5-tools) on tf_model.h5;
and prints ratios; the two goal ratios are measured again with the commands interleaved. Times come from hyperfine
(-N, no shell) when it is installed, else from Python's clock around each run (which adds about a millisecond of its
own). Run: make bench-summary
"""
import argparse
import json
import os
import shutil
import tempfile
import statistics
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--workdir", default="/tmp/bertinspect-bench")
parser.add_argument("--runs", type=int, default=21)
args = parser.parse_args()

tf_dir = os.path.join(args.workdir, "bert-base-tf")
pt_dir = os.path.join(args.workdir, "bert-base-pt")
bin_dir = os.path.join(args.workdir, "bert-base-bin")
ckpt_prefix = os.path.join(args.workdir, "bert-base-ckpt", "weights")


def build():
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    script = f"""
import os
from transformers import BertConfig
config = BertConfig(vocab_size=28996, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, num_labels=2)
if not os.path.exists({tf_dir!r} + "/tf_model.h5"):
    from transformers import TFBertForSequenceClassification
    m = TFBertForSequenceClassification(config); m(m.dummy_inputs); m.save_pretrained({tf_dir!r})
if not os.path.exists({pt_dir!r} + "/model.safetensors"):
    import torch
    from transformers import BertForSequenceClassification
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained({pt_dir!r})
if not os.path.exists({ckpt_prefix!r} + ".index"):
    from transformers import TFBertForSequenceClassification
    TFBertForSequenceClassification.from_pretrained({tf_dir!r}).save_weights({ckpt_prefix!r})
if not os.path.exists({bin_dir!r} + "/pytorch_model.bin"):
    from transformers import BertForSequenceClassification
    BertForSequenceClassification.from_pretrained({pt_dir!r}).save_pretrained({bin_dir!r}, safe_serialization=False)
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=env)


def median_ms(command):
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(args.runs), "--export-json", out.name,
                            "--style", "none", "--ignore-failure", subprocess.list2cmdline(command)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times = [t * 1000 for t in json.load(open(out.name))["results"][0]["times"]]
        return statistics.median(times), min(times), max(times)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


build()
tiny = "fixtures/tf-seqcls/tf_model.h5"
tiny_st = "fixtures/pt-seqcls/model.safetensors"  # 2 layers, 41 tensors: what any summary costs above process start
h5_listing = "import h5py,sys\nf=h5py.File(sys.argv[1],'r')\nf.visititems(lambda n,o: print(n,o.shape) if isinstance(o,h5py.Dataset) else None)"
bin_listing = "import sys, torch\nfor k, v in torch.load(sys.argv[1], map_location='cpu', weights_only=True, mmap=True).items(): print(k, tuple(v.shape))"
st_listing = "import sys\nfrom safetensors import safe_open\nwith safe_open(sys.argv[1],'np') as f:\n    [print(k, f.get_slice(k).get_shape()) for k in f.keys()]"
h5ls = shutil.which("h5ls")
rows = [
    ("bertinspect --version", [args.binary, "--version"]),
    ("bertinspect summary tiny tf_model.h5", [args.binary, "summary", tiny]),
    ("bertinspect summary tiny model.safetensors", [args.binary, "summary", tiny_st]),
    ("bertinspect summary bert-base tf_model.h5", [args.binary, "summary", tf_dir + "/tf_model.h5"]),
    ("bertinspect summary bert-base model.safetensors", [args.binary, "summary", pt_dir + "/model.safetensors"]),
    # The same file given 5 times: one process, so (this − the row above) / 4 is what one more summary costs once
    # the process has started and the code has run once (no page faults, no type metadata built, no libraries).
    ("bertinspect summary bert-base model.safetensors x5", [args.binary, "summary"] + [pt_dir + "/model.safetensors"] * 5),
    ("python h5py listing bert-base tf_model.h5", [sys.executable, "-c", h5_listing, tf_dir + "/tf_model.h5"]),
    ("python safe_open listing bert-base model.safetensors", [sys.executable, "-c", st_listing, pt_dir + "/model.safetensors"]),
    ("bertinspect summary bert-base pytorch_model.bin", [args.binary, "summary", bin_dir + "/pytorch_model.bin"]),
    ("python torch.load(weights_only) listing pytorch_model.bin", [sys.executable, "-c", bin_listing, bin_dir + "/pytorch_model.bin"]),
    ("bertinspect summary bert-base TF checkpoint", [args.binary, "summary", ckpt_prefix]),
] + ([("h5ls -r bert-base tf_model.h5", [h5ls, "-r", tf_dir + "/tf_model.h5"])] if h5ls else [])
results = {}
print(f"machine: {os.cpu_count()} cores; {args.runs} runs each, process start included, page cache warm")
print(f"sizes: tf_model.h5 {os.path.getsize(tf_dir + '/tf_model.h5') / 1e6:.0f} MB, model.safetensors {os.path.getsize(pt_dir + '/model.safetensors') / 1e6:.0f} MB")
for name, command in rows:
    median, low, high = median_ms(command)
    results[name] = median
    print(f"{name:55s} median {median:7.1f} ms  (min {low:.1f}, max {high:.1f})")
version = results["bertinspect --version"]
tiny_ms = results["bertinspect summary tiny tf_model.h5"]
h5 = results["bertinspect summary bert-base tf_model.h5"]
st = results["bertinspect summary bert-base model.safetensors"]
print(f"summary safetensors / --version: {st / version:.2f}x (goal 1.2x);  bert-base h5 / tiny: {h5 / tiny_ms:.2f}x")
print(f"summary tiny (2-layer) safetensors / --version: {results['bertinspect summary tiny model.safetensors'] / version:.2f}x "
      "(the part of the ratio that does not grow with the model)")
warm = (results["bertinspect summary bert-base model.safetensors x5"] - st) / 4
print(f"summary safetensors, split: process start (--version) {version:.1f} ms + first summary's one-time costs "
      f"{st - version - warm:.1f} ms + the summary's own work {warm:.1f} ms (each further PATH in the same process)")
print(f"python h5py / bertinspect (h5): {results['python h5py listing bert-base tf_model.h5'] / h5:.1f}x;  "
      f"python safe_open / bertinspect (safetensors): {results['python safe_open listing bert-base model.safetensors'] / st:.1f}x")
binary = results["bertinspect summary bert-base pytorch_model.bin"]
print(f"summary .bin / summary safetensors: {binary / st:.2f}x (goal at most 2x);  "
      f"python torch.load / bertinspect (.bin): {results['python torch.load(weights_only) listing pytorch_model.bin'] / binary:.1f}x")
print(f"summary TF checkpoint / summary safetensors: {results['bertinspect summary bert-base TF checkpoint'] / st:.2f}x (goal at most 2x)")
if h5ls:
    print(f"bertinspect summary tf_model.h5 / h5ls -r: {h5 / results['h5ls -r bert-base tf_model.h5']:.2f}x (goal at most 1x)")
else:
    print("h5ls not installed (apt-get install hdf5-tools): no h5ls row")


def interleaved(commands, runs):
    """Median wall time of each command, the commands run in turn (A B A B ...), so that a machine whose speed drifts
    during the run (a shared VM) slows every command alike; the block-wise timings above can differ by a few percent
    from one block to the next."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


commands = dict(rows)
pairs = [("summary bert-base safetensors / --version", commands["bertinspect summary bert-base model.safetensors"],
          commands["bertinspect --version"], "goal 1.2x"),
         ("summary tiny safetensors / --version", commands["bertinspect summary tiny model.safetensors"],
          commands["bertinspect --version"], "no goal: the fixed part")]
if h5ls:
    pairs.append(("summary bert-base tf_model.h5 / h5ls -r", commands["bertinspect summary bert-base tf_model.h5"],
                  [h5ls, "-r", tf_dir + "/tf_model.h5"], "goal at most 1x"))
for label, ours, theirs, goal in pairs:
    a, b = interleaved([ours, theirs], args.runs)
    print(f"interleaved ({args.runs} runs each, Python's clock): {label}: {a:.1f} / {b:.1f} ms = {a / b:.2f}x ({goal})")
