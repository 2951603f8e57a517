#!/usr/bin/env python3
"""Writes fixtures/pt-bin/ (real PyTorch pickle checkpoints) and fixtures/pt-bin-hostile/ (hand-made hostile ones).

    CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_pickle_fixtures.py fixtures

Reference environment of tools/requirements.txt (torch 2.13.0+cpu, transformers 4.57.6, safetensors, numpy;
TensorFlow is not imported). Run it after tools/make_fixtures.py: it reads fixtures/pt-seqcls and
fixtures/pt-pretraining and deletes and rewrites only the folders in OWNED. For a reader of
`pytorch_model.bin` files (torch.save zip format and the legacy pre-1.6 stream) that never executes pickle.

- pt-bin/: every file written by the real torch / transformers call (see ENTRIES in reference.json):
  save_pretrained(safe_serialization=False) folders (seqcls/, pretraining/ with tied storages, sharded/,
  legacy-folder/), torch.save of the state dict (zip and legacy), float16 / bfloat16 casts, a state dict of
  views into one shared storage (non-zero offsets, a transposed view, an int64 buffer) and a training
  checkpoint wrapping the state dict. reference.json records, per file, the tensors in the order
  `torch.load(weights_only=True)` returns them (dtype, shape, storage key, offset, stride, sha256 of the
  contiguous little-endian bytes), the storages, the GLOBALs and opcodes of the pickle (pickletools scan, no
  execution), the zip records / legacy layout, and per folder what transformers writes when it re-saves the
  folder as safetensors plus the logits on pt-seqcls's / pt-pretraining's reference inputs.
- pt-bin-hostile/: one file per rule a safe reader must enforce. Pickle bytes are written opcode by opcode
  here (never by pickling or loading an object), zips with Python's zipfile in torch's member layout
  (`archive/data.pkl`, `archive/data/N`, `archive/byteorder`, `archive/version`, 64-byte aligned data),
  legacy streams by hand; only full-module-pickle.bin (torch.save of a tiny nn.Module) and
  torchscript-renamed.bin (torch.jit.save) are real torch output, and zip-truncated.bin is pt-bin's
  seqcls/pytorch_model.bin cut in half. Cases that would run code in a loader that executes pickle try to
  create /tmp/bertinspect-pickle-marker-<case>. cases.json: per file the rule, the marker and what
  `torch.load(path, weights_only=True)` does, each load run in a child process (`--torch-load-child PATH`,
  internal) with a timeout and a 16 GiB address-space limit; afterwards no marker file may exist.

Byte stability: every file is rewritten byte for byte by a rerun (torch's zip writer derives
`.data/serialization_id` from the records' contents), except the two legacy files (legacy.bin,
legacy-folder/pytorch_model.bin), which key their storages by memory address (str(storage._cdata)): their
keys and bytes change on every run, and reference.json with them. torchscript-renamed.bin's debug records hold
the source of TINY_SOURCE (as "bertinspect_tiny_module.py") and the path of torch's own linear.py.
"""

import argparse
import collections
import copy
import hashlib
import io
import json
import os
import pickle
import pickletools
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("USE_TF", "0")            # transformers: do not import TensorFlow
os.environ.setdefault("USE_FLAX", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONHASHSEED", "0")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import fixture_common  # noqa: E402
from fixture_common import folder_size, to_py, write_json  # noqa: E402

OWNED = ["pt-bin", "pt-bin-hostile"]
COMMAND = "CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_pickle_fixtures.py fixtures"
SEQCLS_SRC = "pt-seqcls"
PRETRAINING_SRC = "pt-pretraining"
TOKENIZER_FILES = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]
MAX_FILE_BYTES = 1000 * 1000        # every file under ~1 MB
MAX_TOTAL_BYTES = 6000 * 1000       # both folders together
MARKER_PREFIX = "/tmp/bertinspect-pickle-marker-"
CHILD_TIMEOUT_S = 120
CHILD_ADDRESS_SPACE = 16 << 30

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
               torch.float64: "F64", torch.int32: "I32", torch.complex64: "C64"}
STORAGE_ELSIZE = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
                  "DoubleStorage": 8, "IntStorage": 4, "ComplexFloatStorage": 8}

OUT = None


# For full-module-pickle.bin and torchscript-renamed.bin: Linear(3, 2) with weights 0.1 * arange. Compiled from
# this string (not defined in this file) so that TorchScript's debug records name the file
# "bertinspect_tiny_module.py" rather than this script's absolute path.
TINY_SOURCE = """import torch


class TinyModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.arange(6, dtype=torch.float32).view(2, 3) * 0.1)
            self.fc.bias.copy_(torch.tensor([0.5, -0.5]))

    def forward(self, x):
        return self.fc(x)
"""
TINY_FILE = "bertinspect_tiny_module.py"


def tiny_module_class(module_name):
    """TinyModule compiled from TINY_SOURCE into `module_name` ("__main__" for torch.save(model): its pickle then
    names __main__.TinyModule, as a training script's would; a module of its own for torch.jit.script, which
    reads the source back through linecache)."""
    import linecache
    import types
    linecache.cache[TINY_FILE] = (len(TINY_SOURCE), None, TINY_SOURCE.splitlines(True), TINY_FILE)
    if module_name == "__main__":
        ns = sys.modules["__main__"].__dict__
    else:
        mod = types.ModuleType(module_name)
        mod.__file__ = TINY_FILE
        sys.modules[module_name] = mod
        ns = mod.__dict__
    scratch = {"__name__": module_name, "__file__": TINY_FILE}
    exec(compile(TINY_SOURCE, TINY_FILE, "exec"), scratch)       # noqa: S102 - this script's own constant
    ns["TinyModule"] = scratch["TinyModule"]
    return scratch["TinyModule"]


fresh_dir = fixture_common.fresh_folder


def clean(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def first_line(e):
    text = clean(str(e)).strip()
    return text.splitlines()[0] if text else ""


def torch_reason(e):
    """The line of a weights-only UnpicklingError that names the cause (its first line is boilerplate)."""
    lines = [ln.strip() for ln in clean(str(e)).splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if "WeightsUnpickler error:" in ln:
            rest = ln.split("WeightsUnpickler error:", 1)[1].strip()
            return rest or (lines[i + 1] if i + 1 < len(lines) else "")
    for ln in lines[1:]:
        if not ln.startswith("Check the documentation"):
            return ln
    return None


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tensor_bytes(t):
    """Little-endian bytes of t.contiguous() (works for bfloat16 too)."""
    return t.contiguous().view(torch.uint8).numpy().tobytes()


def versions():
    import numpy
    import safetensors
    import transformers
    return {"python": sys.version.split()[0], "torch": torch.__version__,
            "transformers": transformers.__version__, "safetensors": safetensors.__version__,
            "numpy": numpy.__version__}


# ----------------------------------------------------------------------------------------------
# Reading torch's files without executing their pickles

def scan_pickle(data, start=0):
    """pickletools walk of one pickle starting at `start`: (opcode names, GLOBAL names, end offset)."""
    ops, globs, strings = set(), [], []
    end = None
    for op, arg, pos in pickletools.genops(io.BytesIO(data[start:])):
        ops.add(op.name)
        if op.name == "GLOBAL":
            globs.append(arg)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            globs.append(f"{strings[-2]} {strings[-1]}")
        if isinstance(arg, str) and "UNICODE" in op.name:
            strings.append(arg)
        if op.name == "STOP":
            end = start + pos + 1
    return ops, globs, end


class StorageRef(collections.namedtuple("StorageRef", "cls key location numel view")):
    pass


class TensorRef(collections.namedtuple("TensorRef", "storage offset size stride")):
    pass


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    return TensorRef(storage, storage_offset, tuple(size), tuple(stride))


class RefUnpickler(pickle.Unpickler):
    """Reads the structure of a torch-written state dict pickle: only the GLOBALs of a state dict resolve (to
    stand-ins that record their arguments); storages become StorageRef. Used on this script's own pt-bin files
    only, to learn the storage key of every tensor."""

    STORAGES = set(STORAGE_ELSIZE)

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in self.STORAGES:
            return name
        raise pickle.UnpicklingError(f"unexpected GLOBAL {module} {name}")

    def persistent_load(self, pid):
        assert pid[0] == "storage", pid
        return StorageRef(pid[1], pid[2], pid[3], pid[4], pid[5] if len(pid) > 5 else None)


def ref_load(data, start=0):
    f = io.BytesIO(data)
    f.seek(start)
    return RefUnpickler(f).load()


def state_dict_of(obj):
    """The state dict inside a loaded object (nested.pt wraps it in {"state_dict": ..., "epoch": 3})."""
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        return obj["state_dict"]
    return obj


def zip_records(path):
    """Zip members as torch wrote them: name, method, sizes and the file offset where the data starts."""
    with open(path, "rb") as f:
        raw = f.read()
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            h = info.header_offset
            assert raw[h:h + 4] == b"PK\x03\x04"
            name_len, extra_len = struct.unpack_from("<HH", raw, h + 26)
            data_offset = h + 30 + name_len + extra_len
            out.append({"name": info.filename, "method": info.compress_type, "size": info.file_size,
                        "data_offset": data_offset, "data_offset_mod_64": data_offset % 64})
    return raw, out


def describe_bin(path, loaded, call):
    """reference.json entry for one pytorch .bin / .pt file (zip or legacy)."""
    with open(path, "rb") as f:
        raw = f.read()
    entry = {"call": call, "bytes": len(raw)}
    if zipfile.is_zipfile(path):
        raw, records = zip_records(path)
        root = records[0]["name"].split("/", 1)[0]
        entry["format"] = "zip (torch.save, torch >= 1.6)"
        entry["zip_root"] = root
        entry["zip_records"] = records
        with zipfile.ZipFile(path) as z:
            pkl = z.read(f"{root}/data.pkl")
            sizes = {r["name"]: r["size"] for r in records}
            for rec in ("byteorder", "version", ".format_version", ".storage_alignment"):
                if f"{root}/{rec}" in sizes:
                    entry.setdefault("zip_small_records", {})[rec] = z.read(f"{root}/{rec}").decode()
        ops, globs, end = scan_pickle(pkl)
        assert end == len(pkl), (end, len(pkl))
        obj = ref_load(pkl)
        storage_records = {k: sizes.get(f"{root}/data/{k}") for k in storage_keys(obj)}
    else:
        assert raw[:3] == b"\x80\x02\x8a", raw[:3]
        entry["format"] = "legacy pickle stream (torch.save(..., _use_new_zipfile_serialization=False))"
        pickles, pos = [], 0
        ops, globs = set(), []
        for what in ("magic_number", "protocol_version", "sys_info", "object", "storage_keys"):
            o, g, end = scan_pickle(raw, pos)
            ops |= o
            globs += g
            pickles.append({"what": what, "start": pos, "end": end, "opcodes": sorted(o), "globals": sorted(set(g))})
            if what == "object":
                obj = ref_load(raw, pos)
            if what == "storage_keys":
                keys = ref_load(raw, pos)
            pos = end
        assert ref_load(raw, 0) == 0x1950A86A20F9469CFC6C
        by_key = {s.key: s for s in storage_refs(obj)}
        storages, storage_records = [], {}
        for key in keys:
            numel = struct.unpack_from("<q", raw, pos)[0]
            nbytes = numel * STORAGE_ELSIZE[by_key[key].cls]
            storages.append({"key": key, "numel_offset": pos, "numel": numel, "data_offset": pos + 8,
                             "nbytes": nbytes})
            storage_records[key] = nbytes
            pos += 8 + nbytes
        assert pos == len(raw), (pos, len(raw))
        entry["legacy_layout"] = {
            "pickles": pickles,
            "sys_info": ref_load(raw, pickles[2]["start"]),
            "storage_keys_order": "sorted as strings (keys are str(storage._cdata), memory addresses)",
            "storages": storages,
            "note": "after the 5 pickles, for each key of the storage_keys pickle in that order: int64 LE numel "
                    "(elements of the storage dtype), then numel * element size raw little-endian bytes; the file "
                    "ends after the last storage"}
    sd_ref = state_dict_of(obj)
    sd = state_dict_of(loaded)
    assert list(sd_ref.keys()) == list(sd.keys())
    entry["container"] = container_of(obj)
    tensors = []
    for name, t in sd.items():
        r = sd_ref[name]
        assert isinstance(r, TensorRef) and torch.is_tensor(t), name
        assert (r.offset, r.size, r.stride) == (t.storage_offset(), tuple(t.shape), t.stride()), name
        assert r.storage.view is None
        tensors.append({"name": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "storage_key": r.storage.key, "storage_offset": r.offset, "stride": list(r.stride),
                        "sha256": sha256(tensor_bytes(t))})
    groups = collections.OrderedDict()
    for t in tensors:
        groups.setdefault(t["storage_key"], []).append(t["name"])
    entry["tensors"] = tensors
    entry["storages"] = [{"key": s.key, "class": f"torch.{s.cls}", "location": s.location, "numel": s.numel,
                          "record_bytes": storage_records[s.key]} for s in storage_refs(obj)]
    for s in entry["storages"]:
        assert s["record_bytes"] == s["numel"] * STORAGE_ELSIZE[s["class"].split(".")[1]], s
    entry["shared_storages"] = [names for names in groups.values() if len(names) > 1]
    entry["globals"] = sorted(set(globs))
    entry["opcodes"] = sorted(ops)
    return entry


def storage_refs(obj):
    """Distinct StorageRefs in pickle order."""
    seen = collections.OrderedDict()

    def walk(x):
        if isinstance(x, TensorRef):
            seen.setdefault(x.storage.key, x.storage)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
    walk(obj)
    return list(seen.values())


def storage_keys(obj):
    return [s.key for s in storage_refs(obj)]


def container_of(obj):
    def kind(x):
        if type(x) is collections.OrderedDict:
            meta = getattr(x, "_metadata", None)
            return "OrderedDict" + (f" with _metadata set by BUILD ({len(meta)} entries)" if meta is not None else "")
        return type(x).__name__
    if obj is not state_dict_of(obj):
        return f"{kind(obj)} {{'state_dict': {kind(state_dict_of(obj))}, " + ", ".join(
            f"{k!r}: {v!r}" for k, v in obj.items() if k != "state_dict") + "}"
    return kind(obj)


def safetensors_listing(path):
    meta, tensors = fixture_common.read_safetensors(path)
    return meta, [{"name": k, "dtype": dtype, "shape": shape, "sha256": sha256(data)} for k, dtype, shape, data in tensors]


# ----------------------------------------------------------------------------------------------
# pt-bin/

def ref_batch(src):
    with open(os.path.join(OUT, src, "reference.json")) as f:
        logits = json.load(f)["logits"]
    key = "logits" if "logits" in logits else "seq_relationship_logits"
    rows = {k: logits[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    return rows, key, logits[key]


def folder_check(folder, cls, src, note):
    """transformers re-saves the folder as safetensors; logits on the source fixture's reference inputs."""
    import numpy as np
    rows, key, want = ref_batch(src)
    model = cls.from_pretrained(folder).eval()
    with torch.no_grad():
        out = model(**{k: torch.tensor(v, dtype=torch.long) for k, v in rows.items()})
    got = getattr(out, key).numpy()
    diff = float(np.max(np.abs(got.astype(np.float64) - np.asarray(want, dtype=np.float64))))
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        meta, listing = safetensors_listing(os.path.join(tmp, "model.safetensors"))
    return {
        "transformers_safetensors": {
            "call": f"{cls.__name__}.from_pretrained(folder).save_pretrained(tmp, safe_serialization=True)",
            "metadata": meta, "tensors": listing},
        "logits": {"note": note, **rows, key: got, "max_abs_diff_vs_source_reference": diff}}


def save_folder(model, dest, src, **kw):
    fresh_dir(dest)
    model.save_pretrained(dest, safe_serialization=False, **kw)
    gen = os.path.join(dest, "generation_config.json")
    if os.path.exists(gen):
        os.remove(gen)
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(OUT, src, name), os.path.join(dest, name))


def load(path):
    return torch.load(path, weights_only=True, map_location="cpu")


def assert_same_values(a, b):
    assert list(a.keys()) == list(b.keys()), (list(a)[:3], list(b)[:3])
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k


def make_pt_bin():
    from transformers import BertForPreTraining, BertForSequenceClassification

    top = fresh_dir(os.path.join(OUT, "pt-bin"))
    files, folders = collections.OrderedDict(), collections.OrderedDict()
    seqcls_note = (f"logits of BertForSequenceClassification.from_pretrained(folder) on the inputs of "
                   f"{SEQCLS_SRC}/reference.json 'logits' (tools/make_fixtures.py ref_inputs(): TEXT_LONG and "
                   f"TEXT_SHORT tokenized to length 12, the second padded); must equal that file's logits")
    pre_note = (f"seq_relationship_logits of BertForPreTraining.from_pretrained(folder) on the inputs that "
                f"{PRETRAINING_SRC}/reference.json records under 'logits' (the same 2 x 12 batch as pt-seqcls: "
                f"tools/make_fixtures.py ref_inputs()); must equal that file's seq_relationship_logits "
                f"(prediction_logits are not recorded)")

    model = BertForSequenceClassification.from_pretrained(os.path.join(OUT, SEQCLS_SRC)).eval()
    sd = model.state_dict()

    # 1. seqcls/
    d = os.path.join(top, "seqcls")
    save_folder(model, d, SEQCLS_SRC)
    f = os.path.join(d, "pytorch_model.bin")
    loaded = load(f)
    assert_same_values(loaded, sd)
    files["seqcls/pytorch_model.bin"] = describe_bin(
        f, loaded, f'BertForSequenceClassification.from_pretrained("{SEQCLS_SRC}").save_pretrained(dir, '
                   'safe_serialization=False)')
    folders["seqcls"] = {"call": files["seqcls/pytorch_model.bin"]["call"] + "; tokenizer files copied from "
                         + SEQCLS_SRC, "files": sorted(os.listdir(d)),
                         **folder_check(d, BertForSequenceClassification, SEQCLS_SRC, seqcls_note)}

    # 2. pretraining/ (tied tensors share one storage)
    pre = BertForPreTraining.from_pretrained(os.path.join(OUT, PRETRAINING_SRC)).eval()
    d = os.path.join(top, "pretraining")
    save_folder(pre, d, PRETRAINING_SRC)
    f = os.path.join(d, "pytorch_model.bin")
    loaded = load(f)
    assert_same_values(loaded, pre.state_dict())
    e = describe_bin(f, loaded, f'BertForPreTraining.from_pretrained("{PRETRAINING_SRC}").save_pretrained(dir, '
                                'safe_serialization=False)')
    tied = [g for g in e["shared_storages"] if "cls.predictions.decoder.weight" in g]
    assert tied and "bert.embeddings.word_embeddings.weight" in tied[0], e["shared_storages"]
    assert (loaded["cls.predictions.decoder.weight"].untyped_storage().data_ptr()
            == loaded["bert.embeddings.word_embeddings.weight"].untyped_storage().data_ptr())
    e["tied"] = ("the BINPERSID tuples of bert.embeddings.word_embeddings.weight and cls.predictions.decoder.weight "
                 "name the same storage key (the second tuple re-uses the memoized strings by BINGET), as do "
                 "cls.predictions.bias and cls.predictions.decoder.bias; torch.load returns tensors sharing one "
                 "storage")
    files["pretraining/pytorch_model.bin"] = e
    folders["pretraining"] = {"call": e["call"] + "; tokenizer files copied from " + PRETRAINING_SRC,
                              "files": sorted(os.listdir(d)),
                              **folder_check(d, BertForPreTraining, PRETRAINING_SRC, pre_note)}

    # 3. sharded/
    d = os.path.join(top, "sharded")
    save_folder(model, d, SEQCLS_SRC, max_shard_size="100KB")
    with open(os.path.join(d, "pytorch_model.bin.index.json")) as fh:
        index = json.load(fh)
    shards = sorted(n for n in os.listdir(d) if n.startswith("pytorch_model-"))
    assert len(shards) >= 2 and sorted(set(index["weight_map"].values())) == shards, shards
    merged = {}
    for name in shards:
        f = os.path.join(d, name)
        loaded = load(f)
        merged.update(loaded)
        files[f"sharded/{name}"] = describe_bin(
            f, loaded, 'BertForSequenceClassification.from_pretrained(...).save_pretrained(dir, '
                       'safe_serialization=False, max_shard_size="100KB")')
        assert all(index["weight_map"][k] == name for k in loaded)
    assert set(merged) == set(sd) and all(torch.equal(merged[k], sd[k]) for k in sd)
    folders["sharded"] = {
        "call": f'BertForSequenceClassification.from_pretrained("{SEQCLS_SRC}").save_pretrained(dir, '
                'safe_serialization=False, max_shard_size="100KB"); tokenizer files copied from ' + SEQCLS_SRC,
        "files": sorted(os.listdir(d)), "shards": shards, "index_metadata": index.get("metadata"),
        "weight_map": index["weight_map"],
        **folder_check(d, BertForSequenceClassification, SEQCLS_SRC, seqcls_note)}

    # 4. state_dict.pt
    f = os.path.join(top, "state_dict.pt")
    torch.save(model.state_dict(), f)
    loaded = load(f)
    assert_same_values(loaded, sd)
    files["state_dict.pt"] = describe_bin(f, loaded, "torch.save(model.state_dict(), path)")

    # 5. legacy.bin
    f = os.path.join(top, "legacy.bin")
    torch.save(model.state_dict(), f, _use_new_zipfile_serialization=False)
    loaded = load(f)
    assert_same_values(loaded, sd)
    files["legacy.bin"] = describe_bin(f, loaded,
                                       "torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False)")

    # 6. legacy-folder/
    d = fresh_dir(os.path.join(top, "legacy-folder"))
    f = os.path.join(d, "pytorch_model.bin")
    torch.save(model.state_dict(), f, _use_new_zipfile_serialization=False)
    shutil.copyfile(os.path.join(top, "seqcls", "config.json"), os.path.join(d, "config.json"))
    shutil.copyfile(os.path.join(OUT, SEQCLS_SRC, "vocab.txt"), os.path.join(d, "vocab.txt"))
    loaded = load(f)
    assert_same_values(loaded, sd)
    files["legacy-folder/pytorch_model.bin"] = describe_bin(
        f, loaded, "torch.save(model.state_dict(), dir/pytorch_model.bin, _use_new_zipfile_serialization=False)")
    folders["legacy-folder"] = {
        "call": "legacy torch.save of the seqcls state dict as pytorch_model.bin + seqcls/config.json (as "
                "save_pretrained wrote it) + vocab.txt: a folder as pre-1.6 torch / old transformers left it",
        "files": sorted(os.listdir(d)),
        **folder_check(d, BertForSequenceClassification, SEQCLS_SRC, seqcls_note)}

    # 7. f16.bin, bf16.bin
    for name, cast, dtype in (("f16.bin", ".half()", torch.float16), ("bf16.bin", ".to(torch.bfloat16)",
                                                                      torch.bfloat16)):
        f = os.path.join(top, name)
        cast_sd = copy.deepcopy(model).to(dtype).state_dict()
        torch.save(cast_sd, f)
        loaded = load(f)
        assert_same_values(loaded, cast_sd)
        assert all(v.dtype == dtype for v in loaded.values())
        files[name] = describe_bin(f, loaded, f"torch.save(copy.deepcopy(model){cast}.state_dict(), path)")

    # 8. views.bin
    f = os.path.join(top, "views.bin")
    views = make_views(sd, model.config.max_position_embeddings)
    torch.save(views, f)
    loaded = load(f)
    for k, v in views.items():
        assert torch.equal(loaded[k], v) and loaded[k].stride() == v.stride(), k
        if k in sd:
            assert torch.equal(loaded[k], sd[k]), k
    assert loaded["classifier.weight"].stride() == (1, sd["classifier.weight"].shape[0])
    e = describe_bin(f, loaded, "torch.save(views, path): see 'construction'")
    keys = {t["storage_key"] for t in e["tensors"] if t["dtype"] == "F32"}
    assert len(keys) == 1 and all(t["storage_offset"] > 0 for t in e["tensors"] if t["dtype"] == "F32"), keys
    e["construction"] = (
        f"flat = torch.full([N], nan, float32); every float tensor of the seqcls state dict, in state-dict order, "
        f"copied into flat starting at element {VIEW_FIRST} with {VIEW_GAP} NaN elements between tensors, and "
        f"stored as flat[off:off+n].view(shape) (one storage, non-zero offsets); classifier.weight is stored "
        f"as flat[off:off+n].view(cols, rows).t() holding w.t().contiguous() (= w.t().contiguous().t(), "
        f"strides (1, rows)); bert.embeddings.position_ids = torch.arange({model.config.max_position_embeddings})"
        f".unsqueeze(0) (int64, own LongStorage) inserted after bert.embeddings.LayerNorm.bias; a plain dict. "
        f"Values equal the model's (NaN only in the gaps).")
    files["views.bin"] = e

    # 9. nested.pt
    f = os.path.join(top, "nested.pt")
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, f)
    loaded = load(f)
    assert loaded["epoch"] == 3
    assert_same_values(loaded["state_dict"], sd)
    e = describe_bin(f, loaded, 'torch.save({"state_dict": model.state_dict(), "epoch": 3}, path)')
    e["note"] = "tensors: those of the 'state_dict' entry"
    files["nested.pt"] = e

    for name, folder in folders.items():
        bins = [e for rel, e in files.items() if rel.startswith(name + "/")]
        by_name = {t["name"]: t for e in bins for t in e["tensors"]}
        for t in folder["transformers_safetensors"]["tensors"]:
            b = by_name[t["name"]]
            assert (b["dtype"], b["shape"], b["sha256"]) == (t["dtype"], t["shape"], t["sha256"]), t["name"]
        folder["transformers_safetensors"]["vs_bin"] = (
            "every tensor has the dtype, shape and sha256 of the .bin tensor of the same name; names missing here: "
            + (", ".join(sorted(set(by_name) - {t["name"] for t in folder["transformers_safetensors"]["tensors"]}))
               or "none"))

    all_ops = sorted(set().union(*(set(e["opcodes"]) for e in files.values())))
    all_globals = sorted(set().union(*(set(e["globals"]) for e in files.values())))
    for rel in files:
        assert os.path.getsize(os.path.join(top, rel)) == files[rel]["bytes"]
    return top, files, folders, all_ops, all_globals


VIEW_FIRST = 5
VIEW_GAP = 3


def make_views(sd, max_pos):
    floats = [(k, v) for k, v in sd.items() if v.is_floating_point()]
    total = VIEW_FIRST + sum(v.numel() + VIEW_GAP for _k, v in floats)
    flat = torch.full([total], float("nan"), dtype=torch.float32)
    out, off = {}, VIEW_FIRST
    for k, v in floats:
        n = v.numel()
        region = flat[off:off + n]
        if k == "classifier.weight":
            rows, cols = v.shape
            region.copy_(v.t().contiguous().reshape(-1))
            t = region.view(cols, rows).t()
            assert t.stride() == (1, rows) and not t.is_contiguous()
        else:
            region.copy_(v.reshape(-1))
            t = region.view(v.shape)
        assert torch.equal(t, v)
        out[k] = t
        off += n + VIEW_GAP
        if k == "bert.embeddings.LayerNorm.bias":
            out["bert.embeddings.position_ids"] = torch.arange(max_pos).unsqueeze(0)
    assert "bert.embeddings.position_ids" in out
    return out


# ----------------------------------------------------------------------------------------------
# pt-bin-hostile/: pickle opcodes written by hand

def p_proto(n=2):
    return b"\x80" + bytes([n])


def p_str(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b                         # BINUNICODE


def p_short_str(s):
    b = s.encode("utf-8")
    return b"\x8c" + bytes([len(b)]) + b                                # SHORT_BINUNICODE (protocol 4)


def p_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"      # GLOBAL


def p_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])                                         # BININT1
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)                               # BININT2
    if -2 ** 31 <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)                               # BININT
    body = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(body)]) + body                          # LONG1


def p_tuple(items):
    if len(items) == 0:
        return b")"                                                      # EMPTY_TUPLE
    if len(items) <= 3:
        return b"".join(items) + {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(items)]   # TUPLE1/2/3
    return b"(" + b"".join(items) + b"t"                                 # MARK ... TUPLE


def p_call(func, args):
    return func + p_tuple(args) + b"R"                                   # REDUCE


def p_dict(pairs, proto=2):
    """PROTO, EMPTY_DICT, MARK, key value ..., SETITEMS, STOP."""
    return p_proto(proto) + b"}(" + b"".join(k + v for k, v in pairs) + b"u."


def p_persid(cls, key, numel, legacy=False):
    fields = [p_str("storage"), p_global("torch", cls), p_str(key), p_str("cpu"), p_int(numel)]
    if legacy:
        fields.append(b"N")                                              # view_metadata = None
    return p_tuple(fields) + b"Q"                                        # BINPERSID


def p_tensor(cls, key, numel, offset, size, stride, legacy=False):
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""
    return p_call(p_global("torch._utils", "_rebuild_tensor_v2"), [
        p_persid(cls, key, numel, legacy), p_int(offset), p_tuple([p_int(s) for s in size]),
        p_tuple([p_int(s) for s in stride]), b"\x89", p_call(p_global("collections", "OrderedDict"), [])])


# the tiny state dict every hand-written case starts from (control-zip.bin / control-legacy.bin)
WEIGHT_VALUES = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
BIAS_VALUES = [0.5, -1.0, 2.0]
BASE = [("weight", "FloatStorage", "0", 6, 0, (2, 3), (3, 1)),
        ("bias", "FloatStorage", "1", 3, 0, (3,), (1,))]
BASE_STORAGES = {"0": struct.pack("<6f", *WEIGHT_VALUES), "1": struct.pack("<3f", *BIAS_VALUES)}
LEGACY_KEYS = {"0": "140230000000064", "1": "140230000001024"}        # address-like, as torch writes them
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def base_pairs(tensors=BASE, legacy=False):
    out = []
    for name, cls, key, numel, offset, size, stride in tensors:
        k = LEGACY_KEYS.get(key, key) if legacy else key
        out.append((p_str(name), p_tensor(cls, k, numel, offset, size, stride, legacy)))
    return out


def torch_zip(pkl, storages=None, root="archive", byteorder="little", names=None, deflate_pickle=False,
              duplicate=None):
    """A zip in torch's record order: data.pkl, .format_version, .storage_alignment, byteorder, data/<key>...,
    version, .data/serialization_id; stored, fixed dates, each record's data 64-byte aligned by an "FB" extra
    field (as torch's writer does). `names` maps a record name to the member name written instead."""
    storages = BASE_STORAGES if storages is None else storages
    records = [("data.pkl", pkl), (".format_version", b"1"), (".storage_alignment", b"64")]
    if byteorder is not None:
        records.append(("byteorder", byteorder.encode()))
    records += [(f"data/{k}", v) for k, v in storages.items()]
    records += [("version", b"3\n"), (".data/serialization_id", b"0" * 40)]
    if duplicate:
        i = [r[0] for r in records].index(duplicate[0])
        records.insert(i + 1, duplicate)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # zipfile warns on the duplicate-member case
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for rec, data in records:
                member = (names or {}).get(rec, f"{root}/{rec}")
                info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = 0o644 << 16
                deflate = deflate_pickle and rec == "data.pkl"
                info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
                name_len = len(member.encode("utf-8"))
                pad = (-(buf.tell() + 30 + name_len + 4)) % 64
                info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
                if deflate:
                    z.writestr(info, data, compresslevel=9)
                else:
                    z.writestr(info, data)
    return buf.getvalue()


def central_entries(data):
    """(offset of the central directory, [(entry offset, name)]) of a zip without comment."""
    eocd = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    out, pos = [], cd_offset
    for _ in range(count):
        assert data[pos:pos + 4] == b"PK\x01\x02"
        n, m, k = struct.unpack_from("<HHH", data, pos + 28)
        out.append((pos, data[pos + 46:pos + 46 + n].decode()))
        pos += 46 + n + m + k
    return cd_offset, out


def patch_central(data, name, crc=None, sizes=None, local_offset=None):
    data = bytearray(data)
    _cd, entries = central_entries(bytes(data))
    pos = [p for p, n in entries if n == name][0]
    if crc is not None:
        struct.pack_into("<I", data, pos + 16, crc)
    if sizes is not None:
        struct.pack_into("<II", data, pos + 20, *sizes)
    if local_offset is not None:
        struct.pack_into("<I", data, pos + 42, local_offset)
    return bytes(data)


def central_field(data, name, what):
    _cd, entries = central_entries(data)
    pos = [p for p, n in entries if n == name][0]
    return {"crc": struct.unpack_from("<I", data, pos + 16)[0],
            "local_offset": struct.unpack_from("<I", data, pos + 42)[0]}[what]


def legacy_stream(obj_pkl, storages, magic=LEGACY_MAGIC):
    """torch's legacy layout: 5 pickles (magic, protocol 1001, sys_info, object, sorted storage keys), then for
    each key: int64 LE numel + raw bytes. storages: [(key, numel, bytes)] (sorted here as strings)."""
    sys_info = p_dict([(p_str("protocol_version"), p_int(1001)), (p_str("little_endian"), b"\x88"),
                       (p_str("type_sizes"), b"}(" + p_str("short") + p_int(2) + p_str("int") + p_int(4)
                        + p_str("long") + p_int(4) + b"u")])
    storages = sorted(storages, key=lambda s: s[0])
    keys = p_proto(2) + b"](" + b"".join(p_str(k) for k, _n, _b in storages) + b"e."   # EMPTY_LIST MARK APPENDS
    out = p_proto(2) + p_int(magic) + b"." + p_proto(2) + p_int(1001) + b"." + sys_info + obj_pkl + keys
    for _key, numel, raw in storages:
        out += struct.pack("<q", numel) + raw
    return out


def legacy_base(extra_pairs=()):
    obj = p_dict(list(extra_pairs) + base_pairs(legacy=True))
    storages = [(LEGACY_KEYS[k], len(v) // 4, v) for k, v in BASE_STORAGES.items()]
    return legacy_stream(obj, storages)


def marker(case):
    return MARKER_PREFIX + case


def touch_cmd(case):
    return f"touch {marker(case)}"


def hostile_cases(seqcls_bin):
    """{file: (bytes, rule, marker or None)}; a few are written by torch in make_pt_hostile."""
    cases = collections.OrderedDict()

    def add(case, data, rule, with_marker=False, ext=".bin"):
        cases[case + ext] = (data, rule, marker(case) if with_marker else None)

    add("control-zip", torch_zip(p_dict(base_pairs())),
        "none: the valid hand-written zip every zip case starts from ({'weight': F32 [2, 3] = 0..5, 'bias': F32 [3] "
        "= [0.5, -1, 2]}); must load")
    add("control-legacy", legacy_base(),
        "none: the valid hand-written legacy stream every legacy case starts from (same two tensors, keys "
        f"{LEGACY_KEYS['0']} / {LEGACY_KEYS['1']}); must load")

    # code execution through GLOBAL / REDUCE and friends
    c = "global-os-system"
    add(c, torch_zip(p_dict([(p_str("x"), p_call(p_global("os", "system"), [p_str(touch_cmd(c))]))] + base_pairs())),
        "GLOBAL 'os system' + REDUCE: a global outside the allow-list called with a shell command", True)
    c = "global-builtins-eval"
    add(c, torch_zip(p_dict([(p_str("x"), p_call(p_global("builtins", "eval"),
                                                 [p_str(f"open('{marker(c)}', 'w').close()")]))] + base_pairs())),
        "GLOBAL 'builtins eval' + REDUCE: eval of Python source", True)
    c = "global-subprocess-popen"
    argv = b"](" + p_str("touch") + p_str(marker(c)) + b"e"
    add(c, torch_zip(p_dict([(p_str("x"), p_call(p_global("subprocess", "Popen"), [argv]))] + base_pairs())),
        "GLOBAL 'subprocess Popen' + REDUCE with an argv list", True)
    c = "stack-global-os-system"
    sg = p_short_str("os") + p_short_str("system") + b"\x93"             # STACK_GLOBAL
    add(c, torch_zip(p_dict([(p_str("x"), sg + p_tuple([p_short_str(touch_cmd(c))]) + b"R")] + base_pairs(),
                            proto=4)),
        "protocol 4 STACK_GLOBAL ('os', 'system' from the stack) + REDUCE: a global named without GLOBAL", True)
    c = "legacy-os-system"
    add(c, legacy_base([(p_str("x"), p_call(p_global("os", "system"), [p_str(touch_cmd(c))]))]),
        "legacy stream whose object pickle does GLOBAL 'os system' + REDUCE", True)
    c = "global-getattr"
    imp = p_call(p_global("builtins", "__import__"), [p_str("os")])
    getattr_call = p_global("builtins", "getattr") + b"(" + imp + p_str("system") + b"tR"
    add(c, torch_zip(p_dict([(p_str("x"), getattr_call + p_tuple([p_str(touch_cmd(c))]) + b"R")] + base_pairs())),
        "GLOBAL 'builtins getattr' (first global of the stream) fetching os.system from "
        "builtins.__import__('os'), then REDUCE", True)
    add("reduce-on-storage-class",
        torch_zip(p_dict([(p_str("x"), p_call(p_global("torch", "FloatStorage"), [p_int(4)]))] + base_pairs())),
        "REDUCE calling torch.FloatStorage(4): a storage class may only appear inside a BINPERSID tuple, never be "
        "called")
    c = "inst-opcode"
    add(c, torch_zip(p_dict([(p_str("x"), b"(" + p_str(touch_cmd(c)) + b"ios\nsystem\n")] + base_pairs())),
        "INST 'os\\nsystem' (protocol 0 opcode that imports and calls in one step)", True)
    c = "obj-opcode"
    add(c, torch_zip(p_dict([(p_str("x"), b"(" + p_global("os", "system") + p_str(touch_cmd(c)) + b"o")]
                            + base_pairs())),
        "OBJ opcode calling the class/callable under the MARK (here os.system) with the arguments after it", True)
    add("newobj-opcode",
        torch_zip(p_dict([(p_str("x"), p_global("collections", "OrderedDict") + b")\x81")] + base_pairs())),
        "NEWOBJ (cls.__new__(cls, *args)) on the allow-listed collections.OrderedDict: the opcode itself is "
        "outside the state-dict subset")

    # not a plain state dict
    module_pid = p_tuple([p_str("module"), p_global("collections", "OrderedDict"), p_str("tiny.py"),
                          p_str("class Tiny(nn.Module): pass")]) + b"Q"
    add("persid-not-storage", torch_zip(p_dict([(p_str("x"), module_pid)] + base_pairs())),
        "BINPERSID of a tuple whose first element is 'module' (legacy nn.Module source record), not 'storage'")

    # tensor metadata
    def t_case(case, tensors, rule, storages=None):
        add(case, torch_zip(p_dict(base_pairs(tensors)), storages=storages), rule)

    w = BASE[0]
    t_case("storage-offset-out-of-range", [w[:4] + (100, (2, 3), (3, 1)), BASE[1]],
           "weight has storage_offset 100 in a storage of 6 elements")
    t_case("stride-out-of-range", [w[:4] + (0, (2, 3), (4, 1)), BASE[1]],
           "weight [2, 3] with strides (4, 1): its last element is element 6 of a 6-element storage, one past the end")
    t_case("negative-stride", [w[:4] + (2, (2, 3), (3, -1)), BASE[1]],
           "weight [2, 3] with strides (3, -1) and offset 2: every element is inside the storage, but a stride is "
           "negative")
    t_case("size-overflow", [w[:4] + (0, (2 ** 32, 2 ** 32), (0, 0)), BASE[1]],
           "weight of size (2**32, 2**32) with strides (0, 0): the element count 2**64 overflows int64 while the "
           "bounds check (offset + sum((size-1)*stride) = 0) passes; sizes are LONG1")
    t_case("rank-too-high", [w[:4] + (0, (1,) * 40, (1,) * 40), BASE[1]],
           "weight of rank 40 (all sizes 1)")
    t_case("storage-record-too-short", [w[:3] + (1000,) + w[4:], BASE[1]],
           "weight's BINPERSID says numel 1000 but data/0 holds 24 bytes (6 floats)")
    t_case("storage-record-missing", BASE, "bias's storage key '1' has no data/1 record",
           storages={"0": BASE_STORAGES["0"]})
    t_case("dtype-complex", [("weight", "ComplexFloatStorage", "0", 3, 0, (3,), (1,)), BASE[1]],
           "weight is a ComplexFloatStorage (complex64, no BERT / safetensors dtype)")

    # pickle structure
    depth = 900_000
    add("nesting-bomb", torch_zip(p_dict([(p_str("x"), b")" + b"\x85" * depth)] + base_pairs())),
        f"a value nested {depth:,} deep (EMPTY_TUPLE then {depth:,} TUPLE1): a recursive reader overflows its stack")
    add("memo-huge-index", torch_zip(p_dict([(p_str("x"), p_str("memo") + b"r" + struct.pack("<I", 4_000_000_000))]
                                            + base_pairs())),
        "LONG_BINPUT with memo index 4,000,000,000: an array-backed memo would allocate ~32 GB")
    add("memo-get-undefined", torch_zip(p_dict([(p_str("x"), b"h\x07")] + base_pairs())),
        "BINGET 7 when nothing was memoized")
    add("string-length-past-end",
        torch_zip(p_proto(2) + b"}(" + p_str("weight")[:1] + struct.pack("<I", 0xFFFFFFFF) + b"weight"
                  + base_pairs()[0][1] + b"u."),
        "BINUNICODE whose u32 length says 4,294,967,295 bytes (4 GB) in a pickle of ~300 bytes")
    add("truncated-pickle", torch_zip(p_dict(base_pairs())[:-1]), "the pickle ends without STOP")
    add("stack-underflow", torch_zip(p_proto(2) + b"\x86."), "TUPLE2 on an empty stack")
    add("duplicate-key", torch_zip(p_dict(base_pairs() + [(p_str("weight"), p_tensor("FloatStorage", "1", 3, 0, (3,),
                                                                                       (1,)))])),
        "the name 'weight' appears twice in the dict (first F32 [2, 3], then F32 [3] on the bias storage); torch "
        "keeps the last")

    # zip container
    add("zip-dotdot-member", torch_zip(p_dict(base_pairs()), root=".."),
        "every member is named '../<record>' ('../data.pkl', '../data/0', ...): a path leaving the archive")
    add("zip-absolute-member", torch_zip(p_dict(base_pairs()), root="/archive"),
        "every member is named '/archive/<record>': absolute paths")
    dup_pkl = p_dict([(p_str("weight"), p_tensor("FloatStorage", "0", 6, 0, (3, 2), (2, 1))), base_pairs()[1]])
    add("zip-duplicate-member", torch_zip(p_dict(base_pairs()), duplicate=("data.pkl", dup_pkl)),
        "two members named 'archive/data.pkl' (the first gives weight [2, 3], the second weight [3, 2])")
    two = {"0": BASE_STORAGES["0"], "1": struct.pack("<6f", *[-v for v in WEIGHT_VALUES])}
    ov_tensors = [BASE[0], ("bias", "FloatStorage", "1", 6, 0, (6,), (1,))]
    z = torch_zip(p_dict(base_pairs(ov_tensors)), storages=two)
    z = patch_central(z, "archive/data/1", crc=central_field(z, "archive/data/0", "crc"),
                      local_offset=central_field(z, "archive/data/0", "local_offset"))
    add("zip-overlapping-members", z,
        "the central-directory entry of archive/data/1 points at archive/data/0's local header (CRC copied): two "
        "records share one byte range (bias [6] would read weight's bytes instead of its own -0..-5)")
    add("zip-deflated-pickle", torch_zip(p_dict(base_pairs()), deflate_pickle=True),
        "archive/data.pkl is stored with method 8 (deflate); torch writes every record stored (method 0)")
    z = torch_zip(p_dict(base_pairs()))
    add("zip-bomb-size", patch_central(z, "archive/data/0", sizes=(4_000_000_000, 4_000_000_000)),
        "the central directory says archive/data/0 is 4,000,000,000 bytes (compressed and uncompressed) in a file "
        f"of {len(z):,} bytes")
    with open(seqcls_bin, "rb") as fh:
        real = fh.read()
    add("zip-truncated", real[:len(real) // 2],
        f"pt-bin/seqcls/pytorch_model.bin ({len(real):,} bytes, written by torch) cut to its first "
        f"{len(real) // 2:,} bytes: no central directory, a storage record cut short")
    cd_offset, _ = central_entries(z)
    add("zip-no-central-directory", z[:cd_offset],
        "control-zip.bin without its central directory and end-of-central-directory record (local headers and data "
        "only)")
    big = {k: struct.pack(f">{len(v) // 4}f", *struct.unpack(f"<{len(v) // 4}f", v)) for k, v in BASE_STORAGES.items()}
    add("byteorder-big", torch_zip(p_dict(base_pairs()), storages=big, byteorder="big"),
        "the byteorder record says 'big' and the storages are big-endian float32 (same values as control-zip): a "
        "reader must byte-swap or refuse, never read them as little-endian")

    # legacy stream
    good = legacy_base()
    bad = bytearray(good)
    bad[4:14] = (LEGACY_MAGIC + 1).to_bytes(10, "little")
    assert good[:14] == p_proto(2) + p_int(LEGACY_MAGIC)
    add("legacy-bad-magic", bytes(bad),
        "legacy stream whose first pickle holds 0x1950a86a20f9469cfc6d, not the magic 0x1950a86a20f9469cfc6c")
    pos = 0
    for _ in range(5):                              # magic, protocol, sys_info, object, storage keys
        pos = scan_pickle(good, pos)[2]
    first_key = sorted(LEGACY_KEYS.values())[0]
    first_nbytes = struct.unpack_from("<q", good, pos)[0] * 4
    first_data = pos + 8
    cut = first_data + first_nbytes // 2
    add("legacy-truncated-storage", good[:cut],
        f"control-legacy.bin cut at byte {cut:,}: inside the raw bytes of the first storage "
        f"({first_key}, {first_nbytes} bytes from offset {first_data})")
    return cases


def make_pt_hostile(seqcls_bin):
    top = fresh_dir(os.path.join(OUT, "pt-bin-hostile"))
    cases = hostile_cases(seqcls_bin)
    for name, (data, _rule, _m) in cases.items():
        with open(os.path.join(top, name), "wb") as f:
            f.write(data)

    # real torch output
    full = os.path.join(top, "full-module-pickle.bin")
    torch.save(tiny_module_class("__main__")(), full)
    with zipfile.ZipFile(full) as z:
        root = z.namelist()[0].split("/")[0]
        globs = sorted(set(scan_pickle(z.read(f"{root}/data.pkl"))[1]))
    assert "__main__ TinyModule" in globs, globs
    cases["full-module-pickle.bin"] = (
        None, "torch.save(model) of a tiny nn.Module subclass defined in this script (TinyModule: Linear(3, 2)), "
              f"real torch output: the pickle rebuilds the module object (GLOBALs {', '.join(globs)}); not a "
              "state dict", None)
    with tempfile.TemporaryDirectory() as tmp:
        ts = os.path.join(tmp, "pytorch_model.bin")
        torch.jit.save(torch.jit.script(tiny_module_class("bertinspect_tiny_module")()), ts)
        shutil.move(ts, os.path.join(top, "torchscript-renamed.bin"))
    with zipfile.ZipFile(os.path.join(top, "torchscript-renamed.bin")) as z:
        members = z.namelist()
    assert any("/code/" in m for m in members) and any(m.endswith("constants.pkl") for m in members), members
    cases["torchscript-renamed.bin"] = (
        None, "torch.jit.save(torch.jit.script(TinyModule())) to a path named pytorch_model.bin (so its zip root is "
              f"'{members[0].split('/')[0]}/', like a transformers .bin), then renamed: a TorchScript archive "
              "(code/, constants.pkl, data.pkl), not a state dict", None)

    out = collections.OrderedDict()
    for name, (_data, rule, mk) in cases.items():
        path = os.path.join(top, name)
        size = os.path.getsize(path)
        assert size < MAX_FILE_BYTES, (name, size)
        if mk and os.path.exists(mk):
            os.remove(mk)                                   # a stale marker of an earlier run of this script
        res = torch_load_in_child(path)
        if mk:
            time.sleep(0.5)                                 # Popen would run asynchronously
            assert not os.path.exists(mk), f"torch.load(weights_only=True) created {mk}"
        entry = {"rule": rule, "marker": mk, "torch": res["result"]}
        if "reason" in res:
            entry["torch_reason"] = res["reason"]
        if "loaded" in res:
            entry["torch_loaded"] = res["loaded"]
        entry["bytes"] = size
        out[name] = entry
    for name, (_d, _r, mk) in cases.items():
        assert mk is None or not os.path.exists(mk), mk
    write_json(os.path.join(top, "cases.json"), out)
    return top, out


# ----------------------------------------------------------------------------------------------
# torch.load(weights_only=True) in a child process

def torch_load_in_child(path):
    def limit():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    try:
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-load-child", path], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=CHILD_TIMEOUT_S,
                           preexec_fn=limit, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return {"result": f"no result within {CHILD_TIMEOUT_S} s (killed)"}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        tail = r.stderr.strip().splitlines()[-1:] if r.stderr.strip() else []
        return {"result": f"process died (exit status {r.returncode})" + (f": {tail[0]}" if tail else "")}
    return json.loads(lines[-1])


def describe(x, depth=0):
    if torch.is_tensor(x):
        d = {"dtype": str(x.dtype).replace("torch.", ""), "shape": list(x.shape), "stride": list(x.stride()),
             "storage_offset": x.storage_offset()}
        if x.dim() <= 4 and all(s <= 8 for s in x.shape):
            v = torch.view_as_real(x) if x.is_complex() else x
            d["values"] = v.tolist()
        return d
    if isinstance(x, dict) and depth < 2:
        return {"type": type(x).__name__, "items": {str(k): describe(v, depth + 1) for k, v in list(x.items())[:8]}}
    if isinstance(x, (int, float, str, bool)) or x is None:
        return repr(x)[:80]
    return type(x).__name__


def torch_load_child(path):
    warnings.simplefilter("ignore")
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
        out = {"result": "loads", "loaded": describe(obj)}
    except BaseException as e:      # noqa: BLE001 - every failure is a result here
        msg = first_line(e)
        out = {"result": f"{type(e).__name__}: {msg}" if msg else type(e).__name__}
        if msg.startswith("Weights only load failed"):
            out["reason"] = torch_reason(e)
    print(json.dumps(to_py(out)))
    sys.stdout.flush()


# ----------------------------------------------------------------------------------------------

def main():
    global OUT
    if len(sys.argv) == 3 and sys.argv[1] == "--torch-load-child":
        torch_load_child(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    for need in (SEQCLS_SRC, PRETRAINING_SRC):
        if not os.path.isdir(os.path.join(OUT, need)):
            sys.exit(f"{os.path.join(OUT, need)} missing: run tools/make_fixtures.py first")

    import transformers
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    top, files, folders, all_ops, all_globals = make_pt_bin()
    write_json(os.path.join(top, "reference.json"), {
        "writer": {"script": "tools/make_pickle_fixtures.py", "command": COMMAND, "versions": versions(),
                   "sources": f"{SEQCLS_SRC} (BertForSequenceClassification), {PRETRAINING_SRC} (BertForPreTraining), "
                              "loaded with from_pretrained",
                   "hostile": "pt-bin-hostile/ is written by the same script; its cases.json describes each file"},
        "note": ("files: per .bin/.pt file (path relative to pt-bin); tensors in the order torch.load(path, "
                 "weights_only=True, map_location='cpu') returns them (nested.pt: its 'state_dict'); dtype in "
                 "safetensors spelling; storage_offset and stride in elements; sha256 of "
                 "t.contiguous().view(torch.uint8).numpy().tobytes() (little-endian); storage keys, globals and "
                 "opcodes read from the pickle without executing it. folders: per save_pretrained-style folder, "
                 "what transformers writes when it loads the folder and saves it with safe_serialization=True, "
                 "and the logits. The legacy files key storages by memory address: their keys (here and in the "
                 "files) change on every run; everything else is byte-stable."),
        "opcodes_used": all_ops,
        "globals_used": all_globals,
        "files": files,
        "folders": folders})
    hostile, cases = make_pt_hostile(os.path.join(top, "seqcls", "pytorch_model.bin"))

    total = 0
    for folder in (top, hostile):
        for root, _dirs, names in os.walk(folder):
            for name in sorted(names):
                size = os.path.getsize(os.path.join(root, name))
                assert size < MAX_FILE_BYTES, (name, size)
                total += size
                print(f"{os.path.relpath(os.path.join(root, name), OUT):58s} {size:10d} bytes")
    assert total < MAX_TOTAL_BYTES, total
    print(f"pt-bin/ {folder_size(top)} bytes, pt-bin-hostile/ {folder_size(hostile)} bytes, total {total} bytes")
    leftover = [p for p in os.listdir("/tmp") if p.startswith(os.path.basename(MARKER_PREFIX))]
    assert not leftover, leftover


if __name__ == "__main__":
    main()
