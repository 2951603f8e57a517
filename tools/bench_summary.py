"""Benchmark: `bertinspect summary` on bert-base-sized checkpoints against a tiny fixture and the Python listing.

Builds (once, cached in --workdir) bert-base-cased-sized checkpoints with random weights, written by the real
frameworks: TFBertForSequenceClassification.save_pretrained (tf_model.h5) and BertForSequenceClassification
.save_pretrained (model.safetensors), hidden 768, 12 layers, vocab 28996, ~440 MB each. Then times, in one run,
the median wall time of N process runs of:
  - bertinspect summary on each bert-base file and on fixtures/tf-seqcls/tf_model.h5 (tiny);
  - python -c '<h5py listing every dataset with its shape>' and '<safetensors.safe_open listing every tensor>';
and prints ratios. Run: make bench-summary   (needs the reference environment of tools/requirements.txt)
"""
import argparse
import os
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
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=env)


def median_ms(command):
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


build()
tiny = "fixtures/tf-seqcls/tf_model.h5"
h5_listing = "import h5py,sys\nf=h5py.File(sys.argv[1],'r')\nf.visititems(lambda n,o: print(n,o.shape) if isinstance(o,h5py.Dataset) else None)"
st_listing = "import sys\nfrom safetensors import safe_open\nwith safe_open(sys.argv[1],'np') as f:\n    [print(k, f.get_slice(k).get_shape()) for k in f.keys()]"
rows = [
    ("bertinspect summary tiny tf_model.h5", [args.binary, "summary", tiny]),
    ("bertinspect summary bert-base tf_model.h5", [args.binary, "summary", tf_dir + "/tf_model.h5"]),
    ("bertinspect summary bert-base model.safetensors", [args.binary, "summary", pt_dir + "/model.safetensors"]),
    ("python h5py listing bert-base tf_model.h5", [sys.executable, "-c", h5_listing, tf_dir + "/tf_model.h5"]),
    ("python safe_open listing bert-base model.safetensors", [sys.executable, "-c", st_listing, pt_dir + "/model.safetensors"]),
]
results = {}
print(f"machine: {os.cpu_count()} cores; {args.runs} runs each, process start included, page cache warm")
print(f"sizes: tf_model.h5 {os.path.getsize(tf_dir + '/tf_model.h5') / 1e6:.0f} MB, model.safetensors {os.path.getsize(pt_dir + '/model.safetensors') / 1e6:.0f} MB")
for name, command in rows:
    median, low, high = median_ms(command)
    results[name] = median
    print(f"{name:55s} median {median:7.1f} ms  (min {low:.1f}, max {high:.1f})")
tiny_ms = results[rows[0][0]]
print(f"bert-base h5 / tiny: {results[rows[1][0]] / tiny_ms:.2f}x;  bert-base safetensors / tiny: {results[rows[2][0]] / tiny_ms:.2f}x")
print(f"python h5py / bertinspect (h5): {results[rows[3][0]] / results[rows[1][0]]:.1f}x;  "
      f"python safe_open / bertinspect (safetensors): {results[rows[4][0]] / results[rows[2][0]]:.1f}x")
