#!/usr/bin/env python3
"""Writes fixtures/stats-reference.json: numpy's statistics of every weight of a few fixtures, for `bertinspect stats`.

    /root/refenv/bin/python tools/make_stats_reference.py fixtures

For each fixture checkpoint the tensors are read with the framework libraries (safetensors for PyTorch files, h5py
for tf_model.h5, kernels kept in their stored layout: the statistics do not depend on it) and, per tensor, numpy
computes over the finite values: mean and population std (float64), min, max, the count of zeros, NaN and Inf, and
`numpy.histogram(values, bins=16, range=(min, max))`. Keys are the stored names.
"""
import json
import os
import sys

import h5py
import numpy as np
from safetensors.numpy import load_file

OUT = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
SOURCES = {
    "pt-seqcls": ("safetensors", "pt-seqcls/model.safetensors"),
    "tf-seqcls-fresh": ("h5", "tf-seqcls-fresh/tf_model.h5"),
    "pt-bf16": ("safetensors", "pt-bf16/model.safetensors"),
}


def tensors(kind, path):
    if kind == "safetensors":
        from safetensors import safe_open
        with safe_open(path, "pt") as f:  # torch handles bf16, which numpy cannot hold
            return {k: f.get_tensor(k).float().numpy() for k in f.keys()}
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o)) if isinstance(o, h5py.Dataset) else None)
    return out


def stats(values):
    flat = values.astype(np.float64).ravel()
    finite = flat[np.isfinite(flat)]
    low, high = float(finite.min()), float(finite.max())
    counts, _ = np.histogram(finite, bins=16, range=(low, high) if high > low else (low, low + 1))
    return {"count": int(flat.size), "mean": float(finite.mean()), "std": float(finite.std()), "min": low, "max": high,
            "zeros": int((flat == 0).sum()), "nan": int(np.isnan(flat).sum()), "inf": int(np.isinf(flat).sum()),
            "histogram": [int(c) for c in counts]}


def main():
    import torch
    result = {"writer": {"script": "tools/make_stats_reference.py", "command": "/root/refenv/bin/python tools/make_stats_reference.py fixtures",
                         "versions": {"numpy": np.__version__, "h5py": h5py.__version__, "torch": torch.__version__}},
              "note": "per stored tensor: numpy over the finite values (float64 mean, population std), np.histogram(bins=16, range=(min, max))",
              "fixtures": {}}
    for name, (kind, relative) in SOURCES.items():
        result["fixtures"][name] = {"file": relative, "tensors": {k: stats(v) for k, v in tensors(kind, os.path.join(OUT, relative)).items()}}
    with open(os.path.join(OUT, "stats-reference.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
