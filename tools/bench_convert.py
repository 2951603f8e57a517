"""Benchmark: converting a bert-base-sized tf_model.h5 to safetensors and back, and a pytorch_model.bin to
safetensors, against Python peers.

Uses the checkpoints tools/bench_summary.py builds (TFBertForSequenceClassification.save_pretrained, bert-base-cased
sizes, random weights, ~434 MB). Prints, side by side in one run, the median wall time and peak RSS
(/usr/bin/time -v) of:
  - bertinspect convert tf_model.h5 → model.safetensors, and back to tf_model.h5;
  - a Python script doing the same job with h5py + numpy + safetensors (names mapped, kernels transposed);
  - transformers' own route: load the TF weights into BertForSequenceClassification
    (load_tf2_checkpoint_in_pytorch_model) and save_pretrained(safe_serialization=True);
  - bertinspect convert pytorch_model.bin → model.safetensors against torch.load(weights_only=True, mmap=True) +
    safetensors.torch.save_file. The .bin (bert-base-bin/, shared with tools/bench_summary.py) is written once from
    bert-base-pt/model.safetensors with torch.save (zip format, as save_pretrained(safe_serialization=False) writes).
Run: python tools/bench_convert.py --binary .build/release/bertinspect [--runs 5]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--workdir", default="/tmp/bertinspect-bench")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--only", help="run only the rows whose name contains this text ('pickle': the .bin pair; 'checkpoint': the TF pair)")
args = parser.parse_args()
source = os.path.join(args.workdir, "bert-base-tf", "tf_model.h5")
out = os.path.join(args.workdir, "convert-out")
os.makedirs(out, exist_ok=True)

H5PY_TO_ST = r'''
import sys, h5py, numpy as np
from safetensors.numpy import save_file
tensors = {}
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or not name.startswith(("bert/", "classifier/")):
            return
        parts = name.split("/")[2:]  # drop the layer group and the model scope
        parts[-1] = parts[-1].replace(":0", "")
        key = ".".join(parts).replace("layer_._", "layer.")
        value = obj[()]
        if key.endswith(".kernel"):
            key, value = key[:-7] + ".weight", np.ascontiguousarray(value.T)
        elif key.endswith(".gamma"):
            key = key[:-6] + ".weight"
        elif key.endswith(".beta"):
            key = key[:-5] + ".bias"
        elif key.endswith("_embeddings.embeddings"):
            key = key[:-11] + ".weight"
        tensors[key] = value
    f.visititems(visit)
save_file(tensors, sys.argv[2], metadata={"format": "pt"})
'''
ST_TO_H5PY = r'''
import sys, h5py, numpy as np
from safetensors.numpy import load_file
scope = "tf_bert_for_sequence_classification"
tensors = load_file(sys.argv[1])
with h5py.File(sys.argv[2], "w") as f:
    groups = {"bert": [], "classifier": []}
    for key, value in tensors.items():
        parts = key.split(".")
        group = parts[0]
        if parts[-1] == "weight" and value.ndim == 2 and "embeddings" not in key:
            parts[-1], value = "kernel", np.ascontiguousarray(value.T)
        elif parts[-2] == "LayerNorm":
            parts[-1] = {"weight": "gamma", "bias": "beta"}[parts[-1]]
        elif parts[-2] in ("position_embeddings", "token_type_embeddings"):
            parts[-1] = "embeddings"
        name = scope + "/" + "/".join(parts).replace("layer/", "layer_._") + ":0"
        f.create_dataset(group + "/" + name, data=value)
        groups[group].append(name.encode())
    f.attrs["layer_names"] = [b"bert", b"classifier"]
    for group, names in groups.items():
        f[group].attrs["weight_names"] = names
'''
BIN_TO_ST = r'''
import os, sys, torch
from safetensors.torch import save_file
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True, mmap=True)
save_file({k: v.contiguous() for k, v in state.items()}, sys.argv[2], metadata={"format": "pt"})
if len(sys.argv) > 3:  # "fsync": made as durable as bertinspect's output before it counts as written
    fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)
'''
CKPT_TO_ST = r'''
import sys, numpy as np, tensorflow as tf
from safetensors.numpy import save_file
reader = tf.train.load_checkpoint(sys.argv[1])
tensors = {name: np.ascontiguousarray(reader.get_tensor(name)) for name, dtype in reader.get_variable_to_dtype_map().items()
           if dtype != tf.string and "/.OPTIMIZER_SLOT/" not in name and not name.startswith(("save_counter", "optimizer"))}
save_file(tensors, sys.argv[2], metadata={"format": "tf"})
'''
MAKE_CKPT = r'''
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"; os.environ["CUDA_VISIBLE_DEVICES"] = ""
from transformers import TFBertForSequenceClassification
TFBertForSequenceClassification.from_pretrained(sys.argv[1]).save_weights(sys.argv[2])
'''
MAKE_BIN = r'''
import sys, torch
from safetensors.torch import load_file
torch.save(load_file(sys.argv[1]), sys.argv[2])
'''
TRANSFORMERS_ROUTE = r'''
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"; os.environ["CUDA_VISIBLE_DEVICES"] = ""
from transformers import BertConfig, BertForSequenceClassification
from transformers.modeling_tf_pytorch_utils import load_tf2_checkpoint_in_pytorch_model
model = BertForSequenceClassification(BertConfig.from_pretrained(os.path.dirname(sys.argv[1])))
load_tf2_checkpoint_in_pytorch_model(model, sys.argv[1])
model.save_pretrained(sys.argv[2], safe_serialization=True)
'''


def measure(command, cleanup):
    times, peaks = [], []
    for _ in range(args.runs):
        cleanup()
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
        peaks.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024)
    return statistics.median(times), max(peaks)


def remove(*paths):
    def run():
        for path in paths:
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
    return run


st, back = os.path.join(out, "model.safetensors"), os.path.join(out, "back.h5")
py_st, py_back = os.path.join(out, "py.safetensors"), os.path.join(out, "py.h5")
hf_dir = os.path.join(out, "hf")
pt_bin = os.path.join(args.workdir, "bert-base-bin", "pytorch_model.bin")
if not os.path.exists(pt_bin):
    os.makedirs(os.path.dirname(pt_bin), exist_ok=True)
    subprocess.run([sys.executable, "-c", MAKE_BIN, os.path.join(args.workdir, "bert-base-pt", "model.safetensors"), pt_bin], check=True)
bin_st, py_bin_st = os.path.join(out, "from-bin.safetensors"), os.path.join(out, "py-from-bin.safetensors")
ckpt = os.path.join(args.workdir, "bert-base-ckpt", "weights")
if not os.path.exists(ckpt + ".index"):
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    subprocess.run([sys.executable, "-c", MAKE_CKPT, os.path.dirname(source), ckpt], check=True, capture_output=True)
ckpt_st, py_ckpt_st = os.path.join(out, "from-ckpt.safetensors"), os.path.join(out, "py-from-ckpt.safetensors")
print(f"machine: {os.cpu_count()} cores; {args.runs} runs each; page cache warm; source {os.path.getsize(source) / 1e6:.0f} MB")
floor = os.path.join(out, "floor.bin")
rows = [
    ("floor: dd copy of the source + fdatasync", ["dd", f"if={source}", f"of={floor}", "bs=16M", "conv=fdatasync", "status=none"], remove(floor)),
    ("bertinspect h5 → safetensors", [args.binary, "convert", source, "--to", "safetensors", "-o", st], remove(st)),
    ("bertinspect safetensors → h5", [args.binary, "convert", st, "--to", "h5", "-o", back], remove(back)),
    ("python h5py+numpy → safetensors", [sys.executable, "-c", H5PY_TO_ST, source, py_st], remove(py_st)),
    ("python safetensors+numpy → h5py", [sys.executable, "-c", ST_TO_H5PY, st, py_back], remove(py_back)),
    ("transformers TF → PyTorch safetensors", [sys.executable, "-c", TRANSFORMERS_ROUTE, source, hf_dir], remove(hf_dir)),
    ("bertinspect .bin → safetensors (pickle)", [args.binary, "convert", pt_bin, "--to", "safetensors", "-o", bin_st], remove(bin_st)),
    ("torch.load(weights_only) + save_file (pickle)", [sys.executable, "-c", BIN_TO_ST, pt_bin, py_bin_st], remove(py_bin_st)),
    ("torch.load(weights_only) + save_file + fsync (pickle)", [sys.executable, "-c", BIN_TO_ST, pt_bin, py_bin_st, "fsync"], remove(py_bin_st)),
    ("bertinspect TF checkpoint → safetensors (checkpoint)", [args.binary, "convert", ckpt, "--to", "safetensors", "-o", ckpt_st], remove(ckpt_st)),
    ("tf.train.load_checkpoint + numpy + save_file (checkpoint)", [sys.executable, "-c", CKPT_TO_ST, ckpt, py_ckpt_st], remove(py_ckpt_st)),
]
if args.only:
    rows = [row for row in rows if args.only in row[0]]
results = {}
for name, command, cleanup in rows:
    if (name.startswith("bertinspect safetensors") or name.startswith("python safetensors")) and not os.path.exists(st):
        subprocess.run([args.binary, "convert", source, "--to", "safetensors", "-o", st], check=True, capture_output=True)
    seconds, peak = measure(command, cleanup)
    results[name] = seconds
    print(f"{name:58s} median {seconds * 1000:8.0f} ms   peak RSS {peak:6.0f} MB")
names = [row[0] for row in rows]
pairs = [(".bin → safetensors", "bertinspect .bin → safetensors (pickle)", "torch.load(weights_only) + save_file (pickle)"),
         (".bin → safetensors, both durable (fsync)", "bertinspect .bin → safetensors (pickle)", "torch.load(weights_only) + save_file + fsync (pickle)"),
         ("TF checkpoint → safetensors", "bertinspect TF checkpoint → safetensors (checkpoint)", "tf.train.load_checkpoint + numpy + save_file (checkpoint)")]
for label, ours, theirs in pairs:
    if ours in results and theirs in results:
        print(f"{label}: python / bertinspect = {results[theirs] / results[ours]:.2f}x")
if args.only:
    sys.exit(0)
ours_h5, ours_st = results[names[1]], results[names[2]]
print(f"h5 → safetensors: python / bertinspect = {results[names[3]] / ours_h5:.2f}x, transformers / bertinspect = {results[names[5]] / ours_h5:.1f}x, "
      f"bertinspect / durable-copy floor = {ours_h5 / results[names[0]]:.2f}x")
print(f"safetensors → h5: python / bertinspect = {results[names[4]] / ours_st:.2f}x")
print("bertinspect fsyncs its output before renaming it into place; the Python peers do not.")
