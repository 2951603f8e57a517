#!/usr/bin/env python3
"""Writes edge-case fixture folders derived from the main fixtures (run after tools/make_fixtures.py).

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_edge_fixtures.py fixtures

Same reference environment as tools/make_fixtures.py (tools/requirements.txt). Reads
fixtures/pt-seqcls and fixtures/tf-seqcls; deletes and rewrites only the folders in OWNED:

- stray-gpt2-config/: pt-seqcls's model.safetensors and tokenizer files next to a config.json
  written by `transformers.GPT2Config().save_pretrained(dir)` (a GPT-2 config left beside BERT
  weights). reference.json: pt-seqcls's `parameters`, `stored_tensors` and `config` (same weights),
  `stray_config`, and `transformers_load`: what
  `AutoModelForSequenceClassification.from_pretrained(dir)` does with the folder.
- tf-seqcls-frozen-weights/: the notebook's case. tf-seqcls loaded with
  `TFBertForSequenceClassification.from_pretrained`, `model.bert.trainable = False`, compiled with
  Adam(1e-3) and SparseCategoricalCrossentropy(from_logits=True), one `fit` step on a seeded batch
  of 2 sequences of length 8, then `model.save_weights("weights.h5")` (Keras-2 HDF5: records no
  trainable flags). reference.json: the parameter counts Keras reports after the freeze, the
  "Trainable params" line of `model.summary()`, and per top-level layer the max abs difference
  from tf-seqcls's weights (bert must be unchanged, classifier changed).

Keras 3's own loader is checked by tools/keras3_load.py (no folder here).
"""

import argparse
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import json  # noqa: E402

import numpy as np  # noqa: E402

# the helpers and settings (environment for tf-keras, threads, determinism, versions) of the main fixture
# script; imported before TensorFlow, whose environment it sets
import make_fixtures as mf  # noqa: E402
from fixture_common import folder_size, h5_count_datasets, write_json  # noqa: E402

import tf_keras as keras  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForSequenceClassification, GPT2Config, TFBertForSequenceClassification,
)

OWNED = ["stray-gpt2-config", "tf-seqcls-frozen-weights"]
TOKENIZER_FILES = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]
COMMAND = "TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_edge_fixtures.py fixtures"
MAX_BYTES = 600 * 1000

OUT = None


def fresh_dir(name):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def copy_files(src, dst, names):
    for name in names:
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))


def first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else ""


# ----------------------------------------------------------------------------------------------

def make_stray_gpt2_config():
    folder = "stray-gpt2-config"
    path = fresh_dir(folder)
    src = os.path.join(OUT, "pt-seqcls")
    copy_files(src, path, ["model.safetensors"] + TOKENIZER_FILES)
    GPT2Config().save_pretrained(path)
    with open(os.path.join(path, "config.json")) as f:
        written = json.load(f)
    assert written["model_type"] == "gpt2", written.get("model_type")
    with open(os.path.join(src, "reference.json")) as f:
        src_ref = json.load(f)
    stored = mf.safetensors_count(os.path.join(path, "model.safetensors"))
    assert stored == src_ref["stored_tensors"], (stored, src_ref["stored_tensors"])

    # what transformers itself does with the folder
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(path, output_loading_info=True)
        load = {"result": "loaded", "class": type(model).__name__,
                "parameters": sum(p.numel() for p in model.parameters()),
                "missing_keys": len(info["missing_keys"]), "unexpected_keys": len(info["unexpected_keys"]),
                "mismatched_keys": len(info.get("mismatched_keys", []))}
        del model
    except Exception as e:  # noqa: BLE001 - recording whatever transformers raises
        load = {"result": "error", "exception": type(e).__name__, "message": first_line(e)}

    ref = {
        "writer": {"class": "GPT2Config", "call": "save_pretrained (config.json only)",
                   "framework": f"transformers {transformers.__version__}",
                   "source": "model.safetensors, vocab.txt, tokenizer_config.json, special_tokens_map.json "
                             "copied from pt-seqcls"},
        "weights_file": "model.safetensors",
        "config": src_ref["config"],
        "parameters": src_ref["parameters"],
        "stored_tensors": src_ref["stored_tensors"],
        "stray_config": {"model_type": "gpt2", "writer": "transformers.GPT2Config().save_pretrained"},
        "transformers_load": {"call": "transformers.AutoModelForSequenceClassification.from_pretrained(dir)",
                              **load},
    }
    write_json(os.path.join(path, "reference.json"), ref)
    return path, ref


# ----------------------------------------------------------------------------------------------

def max_abs_diff(a_vars, b_vars):
    assert len(a_vars) == len(b_vars), (len(a_vars), len(b_vars))
    d = 0.0
    for a, b in zip(a_vars, b_vars):
        assert a.name == b.name and tuple(a.shape) == tuple(b.shape), (a.name, b.name)
        d = max(d, float(np.max(np.abs(a.numpy() - b.numpy()))))
    return d


def make_tf_seqcls_frozen_weights():
    folder = "tf-seqcls-frozen-weights"
    path = fresh_dir(folder)
    src = os.path.join(OUT, "tf-seqcls")
    copy_files(src, path, ["config.json"] + TOKENIZER_FILES)

    seed = 601
    mf.keras_session(seed)
    model = TFBertForSequenceClassification.from_pretrained(src)
    model.bert.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    # a tiny seeded batch: [CLS] + 6 ids drawn from the fixture's word pieces + [SEP]
    rng = np.random.default_rng(seed)
    vocab = model.config.vocab_size
    ids = np.concatenate([np.full((2, 1), 101), rng.integers(104, vocab, size=(2, 6)), np.full((2, 1), 102)],
                         axis=1).astype(np.int32)
    batch = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    labels = np.asarray([0, 1], dtype=np.int32)
    history = model.fit(batch, labels, batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 1

    dest = os.path.join(path, "weights.h5")
    model.save_weights(dest)

    summary = []
    model.summary(print_fn=lambda line, *a, **k: summary.append(line))
    m = [re.match(r"\s*Trainable params:\s*([\d,]+)", line) for line in summary]
    m = [x for x in m if x]
    assert len(m) == 1, summary
    summary_trainable = int(m[0].group(1).replace(",", ""))

    params = mf.keras_parameters(model)
    assert params == {"total": 82306, "trainable": 66, "non_trainable": 82240}, params
    assert summary_trainable == params["trainable"], (summary_trainable, params)

    # compare with the weights as tf-seqcls stored them
    mf.keras_session(seed + 1)
    orig = TFBertForSequenceClassification.from_pretrained(src)
    diff = {}
    for name in ("bert", "classifier"):
        d = max_abs_diff(getattr(model, name).weights, getattr(orig, name).weights)
        diff[name] = {"max_abs_diff": d, "changed": d > 0}
    assert diff["bert"]["max_abs_diff"] == 0.0 and diff["classifier"]["max_abs_diff"] > 0, diff

    # the file holds exactly the trained weights (load into tf-seqcls afresh and compare)
    mf.keras_session(seed + 2)
    back = TFBertForSequenceClassification.from_pretrained(src)
    back.load_weights(dest)
    assert max_abs_diff(back.weights, model.weights) == 0.0

    ref = {
        "writer": {"class": "TFBertForSequenceClassification", "call": "save_weights",
                   "framework": mf.FW_TF,
                   "source": "TFBertForSequenceClassification.from_pretrained(\"tf-seqcls\"); "
                             "config.json, vocab.txt, tokenizer_config.json, special_tokens_map.json "
                             "copied from tf-seqcls",
                   "freeze": "model.bert.trainable = False",
                   "compiled": "optimizer=Adam(learning_rate=1e-3), "
                               "loss=SparseCategoricalCrossentropy(from_logits=True)",
                   "fit": {"steps": 1, "seed": seed, "input_ids": ids, "labels": labels,
                           "attention_mask": "all ones", "token_type_ids": "all zeros",
                           "loss": history.history["loss"][0]}},
        "weights_file": "weights.h5",
        "config": mf.config_summary(model.config),
        "parameters": params,
        "keras_summary_trainable": summary_trainable,
        "layers": mf.keras_layers(model),
        "stored_tensors": h5_count_datasets(dest),
        "diff_vs_tf_seqcls": diff,
    }
    write_json(os.path.join(path, "reference.json"), ref)
    return path, ref


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    for need in ("pt-seqcls", "tf-seqcls"):
        if not os.path.isdir(os.path.join(OUT, need)):
            sys.exit(f"{os.path.join(OUT, need)} missing: run tools/make_fixtures.py first")
    transformers.logging.set_verbosity_error()

    make_stray_gpt2_config()
    make_tf_seqcls_frozen_weights()

    for name in OWNED:
        size = folder_size(os.path.join(OUT, name))
        assert size < MAX_BYTES, (name, size)
        print(f"{name:28s} {size / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
