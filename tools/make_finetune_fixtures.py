#!/usr/bin/env python3
"""Writes fixtures/finetune-frozen/: the notebook's freeze-then-fine-tune story across formats.

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_finetune_fixtures.py fixtures

Same reference environment as tools/make_fixtures.py (tools/requirements.txt). Run it after
tools/make_fixtures.py: it reads fixtures/tf-seqcls (the source) and fixtures/pt-seqcls/reference.json
(the inputs of its "logits"), and deletes and rewrites only fixtures/finetune-frozen/.

- before/: fixtures/tf-seqcls' tf_model.h5, config.json, vocab.txt and tokenizer files, copied unchanged
  (TFBertForSequenceClassification, hidden 32, 2 layers, vocab 2000, 2 labels).
- after-frozen-bert/, after-frozen-partial/, after-unfrozen/: PyTorch fine-tunes of before/. Each starts
  from before/'s weights converted by transformers' TF 2 -> PyTorch loader
  (load_tf2_checkpoint_in_pytorch_model, the call `from_pretrained(dir, from_tf=True)` makes; that
  from_pretrained itself leaves meta tensors in transformers 4.57.6, see load_source), sets the run's
  module prefixes `requires_grad_(False)` (the notebook's `bert.trainable = False`: all of `bert`;
  `bert.embeddings` + `bert.encoder.layer.0`; nothing), takes 5 seeded AdamW steps (lr 1e-2, dropout on)
  on one seeded synthetic batch, and is written by `save_pretrained(dir, safe_serialization=True)`
  (model.safetensors, config.json) plus tf-seqcls' vocab.txt and tokenizer files. Frozen tensors are
  asserted bit-identical to before/, every trainable tensor is asserted changed.
- reference.json: the writer block, the training recipe and batch, before/'s tensors in PyTorch layout
  (shape and sha256 of the float32 little-endian C-order bytes), and per after-* entry the frozen prefixes,
  trainable / total parameter counts, a per-tensor comparison with before/ (by PyTorch name), the roll-ups
  per layer and per module, and the trained model's logits on pt-seqcls' reference inputs.

Deterministic: torch.manual_seed before each run, torch.use_deterministic_algorithms(True), one CPU thread;
the bytes of every file are the same on every run.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# make_fixtures sets the reference environment on import (TF_USE_LEGACY_KERAS: from_tf=True builds transformers' TF
# model on tf-keras; no GPU; deterministic ops), before TensorFlow loads.
import make_fixtures  # noqa: E402,F401
import argparse  # noqa: E402
import copy  # noqa: E402
import hashlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import warnings  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import safetensors  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification  # noqa: E402
from transformers.modeling_tf_pytorch_utils import load_tf2_checkpoint_in_pytorch_model  # noqa: E402

import fixture_common  # noqa: E402
from fixture_common import folder_size, to_py, write_json  # noqa: E402

FOLDER = "finetune-frozen"
SRC = "tf-seqcls"
LOGITS_SRC = "pt-seqcls"
COMMAND = ("TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python "
           "tools/make_finetune_fixtures.py fixtures")
COPIED = ["tf_model.h5", "config.json", "vocab.txt", "special_tokens_map.json", "tokenizer_config.json"]
TOKENIZER_FILES = ["vocab.txt", "special_tokens_map.json", "tokenizer_config.json"]
MAX_FOLDER_BYTES = 2 * 1000 * 1000

SEED = 601                  # batch generator and dropout RNG (torch.manual_seed before every run)
STEPS = 5
LR = 1e-2
BATCH, SEQ_LEN = 8, 12
CLS, SEP, FIRST_WORD_ID = 101, 102, 104     # ids 0-103 of vocab.txt are [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]

# entry -> module prefixes set requires_grad_(False) before training
RUNS = {
    "after-frozen-bert": ["bert"],
    "after-frozen-partial": ["bert.embeddings", "bert.encoder.layer.0"],
    "after-unfrozen": [],
}
MEANING = {
    "after-frozen-bert": "the notebook's bert.trainable = False: only classifier.* may change",
    "after-frozen-partial": "bert.embeddings and bert.encoder.layer.0 frozen: bert.encoder.layer.1, bert.pooler "
                            "and classifier change",
    "after-unfrozen": "nothing frozen (the mistake --check-frozen must catch when A says bert is frozen): "
                      "every tensor changes",
}

VERSIONS = {
    "tensorflow": tf.__version__, "tf_keras": keras.__version__, "transformers": transformers.__version__,
    "torch": torch.__version__, "h5py": h5py.__version__, "safetensors": safetensors.__version__,
    "numpy": np.__version__, "tokenizers": importlib.metadata.version("tokenizers"),
}


fresh_dir = fixture_common.fresh_folder


def files_of(folder):
    return {name: os.path.getsize(os.path.join(folder, name)) for name in sorted(os.listdir(folder))}


def sha256(arr):
    return hashlib.sha256(np.ascontiguousarray(arr, dtype="<f4").tobytes()).hexdigest()


def state_of(model):
    """state_dict as {name: float32 numpy copy}, in state_dict order."""
    out = {}
    for name, t in model.state_dict().items():
        assert t.dtype == torch.float32, (name, t.dtype)
        out[name] = t.detach().cpu().numpy().copy()
    return out


def layer_group(name):
    if name.startswith("bert.embeddings."):
        return "bert.embeddings"
    m = re.match(r"(bert\.encoder\.layer\.\d+)\.", name)
    if m:
        return m.group(1)
    if name.startswith("bert.pooler."):
        return "bert.pooler"
    return name.split(".")[0]


def module_group(name):
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "bert" else parts[0]


def is_frozen(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# ----------------------------------------------------------------------------------------------
# before/: the source converted as from_tf=True does, checked against the h5 bytes and pt-seqcls

def h5_state(path):
    """tf_model.h5 read with h5py and mapped to PyTorch names / layout by hand (kernels transposed)."""
    out = {}

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        # "<layer>/tf_bert_for_sequence_classification/<path>/<var>:0"
        parts = name.split("/")
        assert parts[1] == "tf_bert_for_sequence_classification", name
        path, var = parts[2:-1], parts[-1]
        assert var.endswith(":0"), name
        var = var[:-2]
        path = [re.sub(r"^layer_\._(\d+)$", r"layer.\1", p) for p in path]
        value = np.asarray(obj[()])
        pt_var = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
                  "embeddings": "weight", "weight": "weight"}[var]
        if var == "kernel":
            value = value.T
        out[".".join(path + [pt_var])] = np.ascontiguousarray(value)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def from_pretrained_from_tf(src):
    """What `from_pretrained(src, from_tf=True)` gives in this environment (None: it loaded no weights)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch: "copying ... to a meta parameter ..., which is a no-op" per tensor
        model = BertForSequenceClassification.from_pretrained(src, from_tf=True)
    meta = [n for n, t in model.state_dict().items() if t.is_meta]
    return (None if meta else state_of(model)), len(meta)


def load_source(src):
    """The PyTorch model of before/: transformers' own TF 2 -> PyTorch conversion of tf_model.h5.

    `from_pretrained(src, from_tf=True)` in transformers 4.57.6 builds the model under init_empty_weights()
    (meta device) and then calls load_tf2_checkpoint_in_pytorch_model, whose load_state_dict(strict=False)
    into meta parameters is a no-op: every parameter stays a meta tensor. So the model is built on CPU from
    config.json and the same call, load_tf2_checkpoint_in_pytorch_model(model, tf_model.h5), fills it (what
    tools/make_fixtures.py's pt_from_tf does for pt-seqcls). If from_pretrained(from_tf=True) does load
    weights (another transformers), they must be bit-identical to these.
    """
    config = BertConfig.from_pretrained(src)
    torch.manual_seed(SEED)
    model = BertForSequenceClassification(config)
    model, info = load_tf2_checkpoint_in_pytorch_model(model, os.path.join(src, "tf_model.h5"),
                                                       output_loading_info=True)
    assert not any(info.get(k) for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    model.eval()
    state = state_of(model)

    fp_state, fp_meta = from_pretrained_from_tf(src)
    if fp_state is not None:
        assert list(fp_state) == list(state) and all(np.array_equal(fp_state[n], state[n]) for n in state)
        fp_note = "loads every weight, bit-identical to load_tf2_checkpoint_in_pytorch_model's"
    else:
        fp_note = (f"loads no weight: {fp_meta}/{len(state)} state_dict tensors stay meta tensors (model built "
                   "under init_empty_weights(), load_state_dict(strict=False) into meta parameters is a no-op); "
                   "before/'s PyTorch model is therefore BertForSequenceClassification(config) filled by "
                   "load_tf2_checkpoint_in_pytorch_model(model, 'tf_model.h5'), the call from_pretrained(from_tf=True) "
                   "makes")

    by_hand = h5_state(os.path.join(src, "tf_model.h5"))
    assert sorted(by_hand) == sorted(state), (sorted(set(by_hand) ^ set(state)))
    h5_exact = [n for n in state if np.array_equal(by_hand[n], state[n]) and by_hand[n].dtype == np.float32]
    assert len(h5_exact) == len(state), sorted(set(state) - set(h5_exact))

    pt = load_file(os.path.join(os.path.dirname(src), LOGITS_SRC, "model.safetensors"))
    assert sorted(pt) == sorted(state), sorted(set(pt) ^ set(state))
    pt_exact = [n for n in state if np.array_equal(pt[n], state[n])]
    check = {
        "from_pretrained(from_tf=True)": fp_note,
        "h5py": f"every tensor of before/tf_model.h5 read with h5py, mapped to its PyTorch name by hand "
                f"(kernels transposed) is bit-identical to the converted state_dict: "
                f"{len(h5_exact)}/{len(state)}",
        LOGITS_SRC: f"fixtures/{LOGITS_SRC}/model.safetensors (written from the same weights) bit-identical: "
                    f"{len(pt_exact)}/{len(state)}",
    }
    return model, state, check, len(pt_exact) == len(state)


# ----------------------------------------------------------------------------------------------
# training

def synthetic_batch():
    g = torch.Generator().manual_seed(SEED)
    words = torch.randint(FIRST_WORD_ID, 2000, (BATCH, SEQ_LEN - 2), generator=g)
    input_ids = torch.cat([torch.full((BATCH, 1), CLS), words, torch.full((BATCH, 1), SEP)], dim=1)
    labels = torch.randint(0, 2, (BATCH,), generator=g)
    return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
            "token_type_ids": torch.zeros_like(input_ids)}, labels


def reference_inputs(root):
    with open(os.path.join(root, LOGITS_SRC, "reference.json"), encoding="utf-8") as f:
        ref = json.load(f)["logits"]
    feed = {k: torch.tensor(ref[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids")}
    return ref, feed


def logits_of(model, feed):
    model.eval()
    with torch.no_grad():
        return model(**feed).logits.numpy()


def train(source, frozen, batch, labels):
    model = copy.deepcopy(source)
    for prefix in frozen:
        module = model.get_submodule(prefix)
        module.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    counts = {"trainable_parameters": sum(p.numel() for p in trainable),
              "total_parameters": sum(p.numel() for p in model.parameters())}
    torch.manual_seed(SEED)
    optimizer = torch.optim.AdamW(trainable, lr=LR)
    model.train()
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    model.eval()
    return model, counts, losses


# ----------------------------------------------------------------------------------------------
# comparison with before/

def tensor_rows(before, after):
    rows = []
    for name, b in before.items():
        a = after[name]
        assert a.shape == b.shape and a.dtype == np.float32, (name, a.shape, b.shape, a.dtype)
        d = a.astype(np.float64) - b.astype(np.float64)
        nb = float(np.sqrt(np.sum(b.astype(np.float64) ** 2)))
        nd = float(np.sqrt(np.sum(d * d)))
        rows.append({"name": name, "shape": list(b.shape), "changed": bool(np.any(a != b)),
                     "max_abs_diff": float(np.max(np.abs(d))) if d.size else 0.0,
                     "relative_l2": nd / nb if nb > 0 else (0.0 if nd == 0 else math.inf),
                     "parameters": int(b.size), "sha256": sha256(a),
                     "_sq_diff": nd * nd, "_sq_before": nb * nb})
    return rows


def roll_up(rows, key):
    groups = {}
    for r in rows:
        g = groups.setdefault(key(r["name"]), {"tensors": 0, "changed": 0, "parameters": 0, "max_abs_diff": 0.0,
                                               "_sq_diff": 0.0, "_sq_before": 0.0})
        g["tensors"] += 1
        g["changed"] += int(r["changed"])
        g["parameters"] += r["parameters"]
        g["max_abs_diff"] = max(g["max_abs_diff"], r["max_abs_diff"])
        g["_sq_diff"] += r["_sq_diff"]
        g["_sq_before"] += r["_sq_before"]
    out = []
    for name, g in groups.items():
        rel = math.sqrt(g["_sq_diff"]) / math.sqrt(g["_sq_before"])
        out.append({"name": name, "tensors": g["tensors"], "changed": g["changed"], "parameters": g["parameters"],
                    "max_abs_diff": g["max_abs_diff"], "relative_l2": rel})
    return out


def public(rows):
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


# ----------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the fixtures folder (reads tf-seqcls and pt-seqcls there)")
    args = parser.parse_args()
    root = args.out
    src = os.path.join(root, SRC)

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()

    top = fresh_dir(os.path.join(root, FOLDER))
    before_dir = fresh_dir(os.path.join(top, "before"))
    for name in COPIED:
        shutil.copyfile(os.path.join(src, name), os.path.join(before_dir, name))

    source, before, load_check, pt_same = load_source(src)
    ref_logits, feed = reference_inputs(root)
    before_logits = logits_of(source, feed)
    batch, labels = synthetic_batch()

    entries = {}
    for entry, frozen in RUNS.items():
        model, counts, losses = train(source, frozen, batch, labels)
        folder = fresh_dir(os.path.join(top, entry))
        model.save_pretrained(folder, safe_serialization=True)
        for name in TOKENIZER_FILES:
            shutil.copyfile(os.path.join(src, name), os.path.join(folder, name))
        assert sorted(os.listdir(folder)) == sorted(["config.json", "model.safetensors"] + TOKENIZER_FILES), \
            os.listdir(folder)

        # the file written, not the model in memory, is what the reference describes
        after = load_file(os.path.join(folder, "model.safetensors"))
        in_memory = state_of(model)
        assert list(in_memory) == list(before) and sorted(after) == sorted(before), sorted(set(after) ^ set(before))
        for name in before:
            assert np.array_equal(after[name], in_memory[name]), name
        after = {name: after[name] for name in before}          # state_dict order

        rows = tensor_rows(before, after)
        for r in rows:
            if is_frozen(r["name"], frozen):
                assert not r["changed"] and r["max_abs_diff"] == 0.0, (entry, r["name"])
            else:
                assert r["changed"], (entry, r["name"])
        if entry == "after-frozen-bert":
            assert [r["name"] for r in rows if r["changed"]] == ["classifier.weight", "classifier.bias"]
        expected_trainable = sum(r["parameters"] for r in rows if not is_frozen(r["name"], frozen))
        assert counts["trainable_parameters"] == expected_trainable, (entry, counts)

        logits = logits_of(model, feed)
        reloaded = BertForSequenceClassification.from_pretrained(folder)
        assert np.array_equal(logits_of(reloaded, feed), logits), entry

        entries[entry] = {
            "meaning": MEANING[entry],
            "frozen": frozen, **counts,
            "files": files_of(folder),
            "losses": losses,
            "tensors": public(rows),
            "layers": public(roll_up(rows, layer_group)),
            "modules": public(roll_up(rows, module_group)),
            "logits": to_py(logits),
        }

    write_json(os.path.join(top, "reference.json"), {
        "writer": {
            "script": "tools/make_finetune_fixtures.py", "command": COMMAND, "versions": VERSIONS,
            "source": f"fixtures/{SRC} (before/ is a copy); logits inputs from fixtures/{LOGITS_SRC}/reference.json",
            "class": "BertForSequenceClassification (PyTorch) filled by "
                     f"load_tf2_checkpoint_in_pytorch_model(model, 'fixtures/{SRC}/tf_model.h5') (see "
                     "before.load_check)",
            "call": "save_pretrained(dir, safe_serialization=True)",
        },
        "note": "reference.json is not a case. Names and layouts are PyTorch's (TF kernels transposed). "
                "sha256: of the tensor's float32 little-endian C-order bytes in PyTorch layout. changed: any element "
                "differs (bit-for-bit). max_abs_diff: max |after - before| in float64. relative_l2: "
                "||after - before|| / ||before|| (float64; the roll-ups: sqrt(sum ||d||^2) / sqrt(sum ||before||^2) "
                "over the group's tensors). layers group bert.embeddings, bert.encoder.layer.N, bert.pooler and "
                "the first name component otherwise; modules group bert.embeddings, bert.encoder, bert.pooler, "
                "classifier.",
        "training": {
            "steps": STEPS,
            "optimizer": f"torch.optim.AdamW(the requires_grad parameters, lr={LR}) (betas 0.9/0.999, eps 1e-8, "
                         "weight_decay 0.01: the defaults)",
            "loss": "model(**batch, labels=labels).loss (cross-entropy)",
            "mode": "model.train() (dropout 0.1 on) for the steps; model.eval() for the logits",
            "freeze": "model.get_submodule(prefix).requires_grad_(False) for each prefix of the entry's frozen",
            "determinism": f"torch.manual_seed({SEED}) before each run (a deepcopy of the loaded model), "
                           "torch.use_deterministic_algorithms(True), torch.set_num_threads(1)",
            "batch": {
                "recipe": f"torch.Generator().manual_seed({SEED}): randint({FIRST_WORD_ID}, 2000, "
                          f"({BATCH}, {SEQ_LEN - 2})) between [CLS] {CLS} and [SEP] {SEP}, then labels randint(0, 2, "
                          f"({BATCH},)); attention_mask all ones, token_type_ids all zeros",
                "input_ids": to_py(batch["input_ids"]), "labels": to_py(labels),
            },
        },
        "logits_inputs": {k: ref_logits[k] for k in ("input_ids", "attention_mask", "token_type_ids")},
        "before": {
            "files": files_of(before_dir),
            "copied_from": f"fixtures/{SRC}",
            "load_check": load_check,
            "logits": to_py(before_logits),
            "logits_equal_to_pt_seqcls_reference": bool(np.array_equal(
                before_logits.astype(np.float32), np.asarray(ref_logits["logits"], dtype=np.float32))),
            "tensors": [{"name": n, "shape": list(v.shape), "parameters": int(v.size), "sha256": sha256(v)}
                        for n, v in before.items()],
        },
        "entries": entries,
    })
    size = folder_size(top)
    assert size < MAX_FOLDER_BYTES, size
    assert pt_same, "before/ and pt-seqcls differ"
    print(f"wrote {top} ({size} bytes)")
    for entry, e in entries.items():
        print(f"{entry}: trainable {e['trainable_parameters']}/{e['total_parameters']}, "
              f"losses {', '.join(f'{x:.4f}' for x in e['losses'])}")
        for g in e["layers"]:
            print(f"  {g['name']:24} {g['changed']:2}/{g['tensors']:2} changed  max {g['max_abs_diff']:.3e}  "
                  f"relL2 {g['relative_l2']:.3e}")


if __name__ == "__main__":
    main()
