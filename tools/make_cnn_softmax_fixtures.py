"""Writes fixtures/keras-cnn-softmax/ and fixtures/keras-bert-cnn-softmax/: the notebook's CNN models built for
three classes, whose last layer the notebook makes `Dense(3, activation="softmax")` (two classes get
`Dense(1, "sigmoid")`, as in keras-cnn-subclassed/ and keras-bert-cnn-subclassed/).

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_cnn_softmax_fixtures.py fixtures

Same environment as tools/make_fixtures.py, whose model classes and helpers it uses; run it after that script (it
reads tokenizer/vocab.txt). Only these two folders and their README section are written.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_fixtures as mf  # noqa: E402  (sets the TF environment, seeds and helpers)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from transformers import BertTokenizer  # noqa: E402

from fixture_common import folder_size, write_json  # noqa: E402

CLASSES = 3
COMMAND = "TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_cnn_softmax_fixtures.py fixtures"
SECTION = "### keras-cnn-softmax/, keras-bert-cnn-softmax/"
CNN = {**mf.CNN, "output": f"Dense({CLASSES}, softmax)"}
NOTE = ("model takes input_ids only; logits = the softmax output (class probabilities) as model.predict returns it, "
        f"from the notebook's Dense(model_output_classes={CLASSES}, activation='softmax')")


def built(model, seed, perturb):
    """`model` built by calling it on a [2, 16] batch of input_ids, as the sibling fixtures are, and perturbed."""
    model(tf.constant(np.asarray(mf.golden_inputs(16)["input_ids"][:2], dtype=np.int32)), training=False)
    if perturb:
        mf.perturb_tf(model.weights, seed + 1)
    return model


def finish_reference(path, ref, config):
    ref["config"] = config
    ref["logits"]["note"] = NOTE
    write_json(os.path.join(path, "reference.json"), ref)


def make_cnn():
    folder = "keras-cnn-softmax"
    path = mf.fresh_dir(folder)

    def factory(seed=351, perturb=False):
        mf.keras_session(seed)
        return built(mf.CustomIMDBModel(vocabulary_size=mf.V, embedding_dimensions=CNN["embedding_dim"],
                                        cnn_filters=CNN["cnn_filters"], dnn_units=CNN["dnn_units"],
                                        model_output_classes=CLASSES, dropout_rate=CNN["dropout_rate"]), seed, perturb)

    model = factory(perturb=True)
    model.save_weights(os.path.join(path, "weights.h5"))
    mf.save_tokenizer(path)
    mf.check_reload_weights(lambda: factory(seed=995), path, "weights.h5", model)
    ref = mf.keras_reference(path, model, "CustomIMDBModel", "save_weights", "weights.h5", {"vocab_size": mf.V, **CNN},
                             extra={"built_by": "calling the model on a [2, 16] batch of input_ids",
                                    "model_output_classes": CLASSES})
    finish_reference(path, ref, {"vocab_size": mf.V, **CNN})
    return ref


def make_bert_cnn():
    folder = "keras-bert-cnn-softmax"
    path = mf.fresh_dir(folder)
    config = mf.tiny_config()

    def factory(seed=361, perturb=False):
        mf.keras_session(seed)
        return built(mf.BertIMDBEmbeddingModel(config, cnn_filters=CNN["cnn_filters"], dnn_units=CNN["dnn_units"],
                                               model_output_classes=CLASSES, dropout_rate=CNN["dropout_rate"]),
                     seed, perturb)

    model = factory(perturb=True)
    model.save_weights(os.path.join(path, "weights.h5"))
    config.to_json_file(os.path.join(path, "config.json"))
    mf.save_tokenizer(path)
    mf.check_reload_weights(lambda: factory(seed=994), path, "weights.h5", model)
    summary = {**mf.config_summary(config, labels=False), "cnn": CNN}
    ref = mf.keras_reference(path, model, "BertIMDBEmbeddingModel", "save_weights", "weights.h5", summary,
                             main=model.bert, extra={"built_by": "calling the model on a [2, 16] batch of input_ids",
                                                     "bert_trainable": False, "model_output_classes": CLASSES})
    finish_reference(path, ref, summary)
    mf.keras_goldens(path, model, model.bert)
    return ref


def write_section(out, refs):
    readme = os.path.join(out, "README.md")
    text = open(readme, encoding="utf-8").read()
    body = "\n".join([
        SECTION, "", "Written by", "", "```", COMMAND, "```", "",
        "(same environment as tools/make_fixtures.py; run it after that script: it reads `tokenizer/vocab.txt`). "
        f"The notebook's two CNN models built with `model_output_classes={CLASSES}`, for which the notebook's own code "
        f"ends the head in `Dense({CLASSES}, activation=\"softmax\")` instead of `Dense(1, \"sigmoid\")`; Keras records "
        "no activation in a `save_weights` file, so readers must take it from the output width. "
        "`keras-cnn-softmax/` is `CustomIMDBModel` (Embedding 16, three Conv1D of 8 filters, Dense 12, Dense 3), "
        "`keras-bert-cnn-softmax/` is `BertIMDBEmbeddingModel` (the tiny BERT, frozen, plus the same head) with "
        "`config.json`; both `save_weights(\"weights.h5\")` with the tokenizer files, seeded and perturbed like the "
        "other fixtures. `reference.json` holds Keras' parameter counts and layers and `logits`: `model.predict` "
        "(the softmax probabilities) on the reference input_ids; `keras-bert-cnn-softmax/` also has `golden.json` and "
        "`golden-16.json` (input_ids only, as the notebook feeds them). Parameters (total / trainable): "
        + ", ".join(f"`{name}/` {r['parameters']['total']:,} / {r['parameters']['trainable']:,}" for name, r in refs)
        + ".",
    ])
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n### ", start + len(SECTION))
        text = text[:start] + body + ("\n\n" + text[end + 1:] if end >= 0 else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    with open(readme, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "fixtures")
    mf.OUT = out
    mf.VOCAB_PATH = os.path.join(out, "tokenizer", "vocab.txt")
    mf.TOK = BertTokenizer(mf.VOCAB_PATH, do_lower_case=True)
    refs = [("keras-cnn-softmax", make_cnn()), ("keras-bert-cnn-softmax", make_bert_cnn())]
    write_section(out, refs)
    for name, _ in refs:
        print(f"{name:28s} {folder_size(os.path.join(out, name)) / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
