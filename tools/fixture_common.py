"""Shared helpers for tools/make_fixtures.py (no TensorFlow / PyTorch imports here)."""

import json
import os
import shutil
import struct

import numpy as np


def _scalar(x):
    return x is None or isinstance(x, (bool, int, float, str))


def dumps(obj, ensure_ascii=False, indent=0):
    """JSON text with objects indented and lists of scalars kept on one line.

    Floats are written with Python's repr of float(x): a float32 value turned into a Python
    float prints every digit needed to round-trip it exactly.
    """
    pad, pad1 = " " * indent, " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad1}{json.dumps(str(k), ensure_ascii=ensure_ascii)}: "
                 f"{dumps(v, ensure_ascii, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(_scalar(v) for v in obj):
            return json.dumps(list(obj), ensure_ascii=ensure_ascii, allow_nan=False)
        items = [pad1 + dumps(v, ensure_ascii, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=ensure_ascii, allow_nan=False)


def write_json(path, obj, ensure_ascii=False):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(to_py(obj), ensure_ascii=ensure_ascii) + "\n")


def to_py(x):
    """numpy / tensors -> plain Python (float32 values become the exact Python float)."""
    if isinstance(x, dict):
        return {k: to_py(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_py(v) for v in x]
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        try:
            x = x.detach().cpu().numpy() if hasattr(x, "detach") else x.numpy()
        except Exception:
            pass
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return x.astype(np.float32).astype(np.float64).tolist()
        return x.tolist()
    if isinstance(x, np.floating):
        return float(np.float32(x))
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def h5_count_datasets(path):
    import h5py

    n = 0

    def visit(_name, obj):
        nonlocal n
        if isinstance(obj, h5py.Dataset):
            n += 1

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return n


def safetensors_count(path):
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        return len(list(f.keys()))


def folder_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def fresh_folder(path):
    """Deletes `path` if it exists and creates it empty (a fixture script rewrites only the folders it owns)."""
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def first_line(error):
    """The first line of an exception's message, or its class name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def varint(n):
    """`n` as a protobuf base-128 varint."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_safetensors(path):
    """A safetensors file's `__metadata__` (or None) and its tensors in data order: (name, dtype, shape, bytes)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    metadata = header.pop("__metadata__", None)
    tensors = sorted(header.items(), key=lambda item: item[1]["data_offsets"][0])
    return metadata, [(k, v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in tensors]


def word_vocab(words=95):
    """A tiny WordPiece vocabulary: the five special tokens, then `w0` … `w{words-1}` (whole words, no pieces)."""
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(words)]


def save_noisy(model, folder, std, vocab):
    """Adds seeded normal(0, `std`) noise to every tensor of the PyTorch `model` (so that outputs depend visibly on
    every part), saves it with `save_pretrained(folder)` and writes `vocab` as its vocab.txt."""
    import torch  # only the PyTorch fixture tools need it
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * std)
    model.save_pretrained(folder)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
