#!/usr/bin/env python3
"""Writes fixtures/tf-ckpt-garden/: TF2 object-graph checkpoints of a tiny BERT written by the TensorFlow Model
Garden (tf-models-official, `official.nlp.modeling`) itself.

    CUDA_VISIBLE_DEVICES= /root/gardenenv/bin/python tools/make_model_garden_fixture.py fixtures

Environment: tools/requirements-garden.txt (a venv of its own, /root/gardenenv: tf-models-official 2.20.0 pins
tensorflow ~= 2.20.0 and tensorflow-text, which cannot share /root/refenv's tensorflow 2.19). Reads only
fixtures/tokenizer/vocab.txt (its line count is the vocabulary size; it is copied next to each checkpoint) and
deletes and rewrites only fixtures/tf-ckpt-garden/.

The encoder is built the way Model Garden's own tasks build it: `official.nlp.configs.encoders.build_encoder`
with `EncoderConfig(type="bert")` (the default type), which returns `official.nlp.modeling.networks.BertEncoder`
(the functional tf_keras.Model; `BertEncoderV2` is only built for type "bert_v2"). Its attention layers are
tf_keras EinsumDense: query/key/value kernels [hidden, heads, head_size], biases [heads, head_size], attention
output kernel [heads, head_size, hidden], bias [hidden]. Model Garden's "gelu" is the tanh approximation
(`official.modeling.activations.gelu` = `tf_keras.activations.gelu(x, approximate=True)`), LayerNorm epsilon 1e-12.

After the seeded initialisation every variable gets seeded `normal(0, 0.1)` noise (numpy default_rng), so no
tensor is trivially 0 or 1. Then:
- classifier/: `official.nlp.modeling.models.BertClassifier(network=encoder, num_classes=2,
  initializer=TruncatedNormal(0.02), use_encoder_pooler=True)`, saved the way Model Garden's trainer does
  (`official/core/base_trainer.py`: `tf.train.Checkpoint(global_step=..., model=model, optimizer=...,
  **model.checkpoint_items)`, saved by orbit's `tf.train.CheckpointManager.save(checkpoint_number=global_step)`)
  but without the optimizer (its Adam slots would triple the size). BertClassifier.checkpoint_items is
  `{"encoder": network}`, so the object graph reaches the encoder twice and TF stores each encoder variable once,
  under its first (shortest) path `encoder/...`; only the head is under `model/...`.
- encoder/: the same encoder object alone, `tf.train.Checkpoint(encoder=encoder).save(prefix)`, as
  `official/nlp/tools/tf2_bert_encoder_checkpoint_converter.py` writes pretrained encoders
  (`--checkpoint_model_name` default "encoder"; `checkpoint.save(output_path)`) and as
  `official/nlp/tasks/sentence_prediction.py` reads them (`tf.train.Checkpoint(encoder=...)`).
reference.json records the writer, the config, per checkpoint every key (tf.train.list_variables; dtype and sha256
of the little-endian bytes from tf.train.load_checkpoint), the `_CHECKPOINTABLE_OBJECT_GRAPH` (every node's
children and attributes, full_name included), every trainable Keras variable (name, shape, sha256, the key it is
stored under), the EinsumDense kernel shapes, the mapping of every key to transformers' BertModel /
BertForSequenceClassification names, the Model Garden model's own outputs on a fixed batch, and the reload checks
(fresh models restored from the files reproduce those outputs exactly).
"""

import argparse
import hashlib
import importlib.metadata
import os
import shutil
import sys

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_DETERMINISTIC_OPS"] = "1"

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import fixture_common  # noqa: E402
from fixture_common import folder_size, to_py, write_json  # noqa: E402

import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402
from official.nlp.configs import encoders  # noqa: E402
from official.nlp.modeling import models, networks  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

COMMAND = "CUDA_VISIBLE_DEVICES= /root/gardenenv/bin/python tools/make_model_garden_fixture.py fixtures"
OWNED = "tf-ckpt-garden"
VOCAB_SOURCE = os.path.join("tokenizer", "vocab.txt")
MAX_FOLDER_BYTES = 1000 * 1000
SEED = 20260
NOISE_SEED = 20261
FRESH_SEED = 777            # fresh models for the reload checks start from other weights
INPUT_SEED = 2024
NOISE_STD = 0.1
GLOBAL_STEP = 1000
NUM_CLASSES = 2
DATA_SUFFIX = ".data-00000-of-00001"
GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VERSIONS = {
    "python": sys.version.split()[0], "tensorflow": tf.__version__,
    "tf-models-official": importlib.metadata.version("tf-models-official"),
    "tf_keras": tf_keras.__version__, "numpy": np.__version__,
    "protobuf": importlib.metadata.version("protobuf"),
}
# Sizes of the other tiny-BERT fixtures (fixtures/README.md "Tiny BERT"); vocab_size is set from the vocabulary.
CONFIG = {
    "vocab_size": None, "hidden_size": 32, "num_layers": 2, "num_attention_heads": 4, "intermediate_size": 48,
    "max_position_embeddings": 64, "type_vocab_size": 2, "hidden_activation": "gelu", "initializer_range": 0.02,
    "dropout_rate": 0.1, "attention_dropout_rate": 0.1,
}


def sha256_f32(a):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(a), dtype="<f4").tobytes()).hexdigest()


def sha256_le(a):
    if isinstance(a, bytes):
        return hashlib.sha256(a).hexdigest()
    a = np.asarray(a)
    if a.dtype.kind in "OS":
        return hashlib.sha256(bytes(a.item())).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
# models

def encoder_config():
    c = CONFIG
    return encoders.EncoderConfig(type="bert", bert=encoders.BertEncoderConfig(
        vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], num_layers=c["num_layers"],
        num_attention_heads=c["num_attention_heads"], intermediate_size=c["intermediate_size"],
        max_position_embeddings=c["max_position_embeddings"], type_vocab_size=c["type_vocab_size"],
        hidden_activation=c["hidden_activation"], initializer_range=c["initializer_range"],
        dropout_rate=c["dropout_rate"], attention_dropout_rate=c["attention_dropout_rate"]))


def build(seed):
    """encoder, classifier as sentence_prediction.SentencePredictionTask.build_model makes them (with the encoder
    pooler, the BertClassifier default)."""
    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(seed)
    encoder = encoders.build_encoder(encoder_config())
    classifier = models.BertClassifier(
        network=encoder, num_classes=NUM_CLASSES,
        initializer=tf_keras.initializers.TruncatedNormal(stddev=CONFIG["initializer_range"]),
        use_encoder_pooler=True)
    return encoder, classifier


def perturb(model):
    rng = np.random.default_rng(NOISE_SEED)
    for v in model.weights:          # classifier.weights: the encoder's, then the head's
        v.assign(v.numpy() + rng.normal(0.0, NOISE_STD, size=v.shape).astype(np.float32))


def make_inputs():
    """[2, 12]: row 0 a full pair ([CLS] a [SEP] b [SEP], type ids 1 on b), row 1 a single padded sentence."""
    rng = np.random.default_rng(INPUT_SEED)
    n = CONFIG["vocab_size"]
    a, b = rng.integers(1000, n, size=6), rng.integers(1000, n, size=3)
    row0 = [101, *a, 102, *b, 102]
    types0 = [0] * 8 + [1] * 4
    c = rng.integers(1000, n, size=6)
    row1 = [101, *c, 102] + [0] * 4
    ids = np.array([row0, row1], dtype=np.int32)
    mask = (ids != 0).astype(np.int32)
    types = np.array([types0, [0] * 12], dtype=np.int32)
    assert ids.shape == (2, 12)
    return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types}


def encoder_outputs(encoder, inputs):
    out = encoder({k: tf.constant(v) for k, v in inputs.items()}, training=False)
    return {"sequence_output": out["sequence_output"].numpy(), "pooled_output": out["pooled_output"].numpy()}


def classifier_logits(classifier, inputs):
    return classifier({k: tf.constant(v) for k, v in inputs.items()}, training=False).numpy()


# ----------------------------------------------------------------------------------------------
# checkpoint inspection

def object_graph(prefix):
    reader = tf.train.load_checkpoint(prefix)
    g = trackable_object_graph_pb2.TrackableObjectGraph.FromString(reader.get_tensor(GRAPH_KEY))
    nodes = []
    for i, n in enumerate(g.nodes):
        node = {"id": i, "children": [[c.local_name, c.node_id] for c in n.children]}
        if n.attributes:
            node["attributes"] = [{"name": a.name, "full_name": a.full_name, "checkpoint_key": a.checkpoint_key}
                                  for a in n.attributes]
        if n.slot_variables:
            node["slot_variables"] = len(n.slot_variables)
        nodes.append(node)
    full_names = {a.checkpoint_key: a.full_name for n in g.nodes for a in n.attributes}
    return nodes, full_names


def first_paths(nodes):
    """For each node, the paths that reach it (first path of the parent + '/' + local name), breadth first: the
    first one is the node's checkpoint-key prefix; more than one means the graph reaches the object twice."""
    paths = {0: [""]}
    queue = [0]
    seen = {0}
    while queue:
        i = queue.pop(0)
        for name, child in nodes[i]["children"]:
            p = (paths[i][0] + "/" + name).lstrip("/")
            paths.setdefault(child, []).append(p)
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return paths


def describe_checkpoint(prefix, folder, var_names):
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    nodes, full_names = object_graph(prefix)
    keys = []
    for name, shape in tf.train.list_variables(prefix):
        value = reader.get_tensor(name)
        e = {"name": name, "shape": list(shape), "dtype": dtypes[name].name, "sha256": sha256_le(value)}
        if name in full_names:
            e["full_name"] = full_names[name]
        if e.get("full_name") in var_names:
            e["keras_variable"] = var_names[e["full_name"]]
        hf = hf_name(name)
        if hf:
            e["hf"] = hf
        keys.append(e)
    multi = {i: p for i, p in first_paths(nodes).items() if len(p) > 1}
    return {
        "prefix": os.path.relpath(prefix, folder),
        "files": {n: os.path.getsize(os.path.join(os.path.dirname(prefix), n))
                  for n in sorted(os.listdir(os.path.dirname(prefix)))},
        "keys": keys,
        "object_graph": {
            "note": "TrackableObjectGraph from the _CHECKPOINTABLE_OBJECT_GRAPH key: node 0 is the root; children "
                    "are [local_name, node_id]; attributes name/full_name/checkpoint_key as stored",
            "num_nodes": len(nodes),
            "nodes_reached_by_several_paths": {str(i): p for i, p in sorted(multi.items())},
            "paths_note": "for each node reached more than once: every (parent's first path)/(local name) that "
                          "reaches it, breadth first; the first one is the prefix its variables are stored under",
            "nodes": nodes,
        },
    }


# ----------------------------------------------------------------------------------------------
# mapping to transformers' BertModel / BertForSequenceClassification

LAYER_PARTS = {
    "_attention_layer/_query_dense": ("attention.self.query", "qkv"),
    "_attention_layer/_key_dense": ("attention.self.key", "qkv"),
    "_attention_layer/_value_dense": ("attention.self.value", "qkv"),
    "_attention_layer/_output_dense": ("attention.output.dense", "attn_out"),
    "_attention_layer_norm": ("attention.output.LayerNorm", "ln"),
    "_intermediate_dense": ("intermediate.dense", "dense"),
    "_output_dense": ("output.dense", "dense"),
    "_output_layer_norm": ("output.LayerNorm", "ln"),
}
TRANSFORMS = {
    ("qkv", "kernel"): "reshape [H, heads, head_size] -> [H, H] (heads outer), then transpose -> weight [out, in]",
    ("qkv", "bias"): "reshape [heads, head_size] -> [H]",
    ("attn_out", "kernel"): "reshape [heads, head_size, H] -> [H, H] (heads outer), then transpose -> weight [out, in]",
    ("attn_out", "bias"): "as is",
    ("dense", "kernel"): "transpose [in, out] -> weight [out, in]",
    ("dense", "bias"): "as is",
    ("ln", "gamma"): "as is",
    ("ln", "beta"): "as is",
}
LEAF = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}


def hf_name(key):
    """transformers name (BertForSequenceClassification; drop "bert." for BertModel) and transform of a key."""
    suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
    if not key.endswith(suffix):
        return None
    path = key[:-len(suffix)].split("/")
    if path[0] == "model" and path[1:3] == ["layer_with_weights-1", "out_proj"]:
        return {"name": f"classifier.{LEAF[path[3]]}",
                "transform": TRANSFORMS[("dense", path[3])]}
    if path[0] == "model" and path[1] == "layer_with_weights-0":
        path = path[1:]              # encoder reached through the classifier (not stored this way here)
    if path[0] not in ("encoder", "layer_with_weights-0"):
        return None
    idx = int(path[1].rsplit("-", 1)[1])
    rest, leaf = "/".join(path[2:-1]), path[-1]
    n = CONFIG["num_layers"]
    if idx < 3 and leaf == "embeddings":
        which = ["word_embeddings", "position_embeddings", "token_type_embeddings"][idx]
        return {"name": f"bert.embeddings.{which}.weight", "transform": "as is"}
    if idx == 3:
        return {"name": f"bert.embeddings.LayerNorm.{LEAF[leaf]}", "transform": "as is"}
    if 4 <= idx < 4 + n:
        part, kind = LAYER_PARTS[rest]
        return {"name": f"bert.encoder.layer.{idx - 4}.{part}.{LEAF[leaf]}", "transform": TRANSFORMS[(kind, leaf)]}
    if idx == 4 + n:
        return {"name": f"bert.pooler.dense.{LEAF[leaf]}", "transform": TRANSFORMS[("dense", leaf)]}
    return None


# ----------------------------------------------------------------------------------------------

def variables_table(model, key_of):
    out = []
    for v in model.trainable_variables:
        name = v.name
        out.append({"name": name, "path": getattr(v, "path", None), "shape": list(v.shape),
                    "dtype": v.dtype.name, "sha256": sha256_f32(v.numpy()),
                    "checkpoint_key": key_of.get(name[:-2] if name.endswith(":0") else name)})
    return out


def check_equal(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    vocab = os.path.join(out, VOCAB_SOURCE)
    with open(vocab, encoding="utf-8") as f:
        CONFIG["vocab_size"] = sum(1 for _ in f)
    assert CONFIG["vocab_size"] == 2000, CONFIG["vocab_size"]

    root = fixture_common.fresh_folder(os.path.join(out, OWNED))
    cls_dir = os.path.join(root, "classifier")
    enc_dir = os.path.join(root, "encoder")
    os.makedirs(cls_dir)
    os.makedirs(enc_dir)

    encoder, classifier = build(SEED)
    assert type(encoder) is networks.BertEncoder, type(encoder)
    assert type(classifier) is models.BertClassifier
    perturb(classifier)
    assert set(map(id, encoder.weights)) <= set(map(id, classifier.weights))
    inputs = make_inputs()
    enc_out = encoder_outputs(encoder, inputs)
    logits = classifier_logits(classifier, inputs)
    # the classifier's logits are its head on the encoder's pooled_output (dropout off)
    head = classifier.classifier
    assert check_equal(head(tf.constant(enc_out["pooled_output"]), training=False).numpy(), logits) == 0.0

    # classifier: base_trainer's checkpoint (global_step, model, **model.checkpoint_items), optimizer left out;
    # orbit saves it with CheckpointManager.save(checkpoint_number=global_step).
    assert sorted(classifier.checkpoint_items) == ["encoder"]
    global_step = tf.Variable(0, dtype=tf.int64, name="global_step", trainable=False,
                              aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)   # orbit create_global_step
    global_step.assign(GLOBAL_STEP)
    cls_ckpt = tf.train.Checkpoint(global_step=global_step, model=classifier, **classifier.checkpoint_items)
    manager = tf.train.CheckpointManager(cls_ckpt, directory=cls_dir, max_to_keep=1, step_counter=global_step)
    cls_prefix = manager.save(checkpoint_number=global_step)
    assert os.path.basename(cls_prefix) == f"ckpt-{GLOBAL_STEP}", cls_prefix
    # CheckpointManager's `checkpoint` file carries wall-clock timestamps: write the state again the way
    # tf.train.Checkpoint.save does (no timestamps), so the folder is byte-identical across runs.
    tf.__internal__.train.update_checkpoint_state(
        save_dir=cls_dir, model_checkpoint_path=os.path.basename(cls_prefix),
        all_model_checkpoint_paths=[os.path.basename(cls_prefix)], save_relative_paths=True)

    # encoder: tf2_bert_encoder_checkpoint_converter's tf.train.Checkpoint(encoder=model).save(output_path)
    enc_prefix = tf.train.Checkpoint(encoder=encoder).save(os.path.join(enc_dir, "ckpt"))
    assert os.path.basename(enc_prefix) == "ckpt-1", enc_prefix
    for d in (cls_dir, enc_dir):
        shutil.copy(vocab, os.path.join(d, "vocab.txt"))

    var_names = {v.name[:-2]: v.name for v in classifier.weights}
    cls_desc = describe_checkpoint(cls_prefix, root, var_names)
    enc_desc = describe_checkpoint(enc_prefix, root, var_names)

    # Reload checks: fresh models (other seed, so other weights) restored from the files.
    checks = {}
    enc2, cls2 = build(FRESH_SEED)
    assert check_equal(classifier_logits(cls2, inputs), logits) > 0
    gs2 = tf.Variable(0, dtype=tf.int64, trainable=False)
    tf.train.Checkpoint(global_step=gs2, model=cls2, **cls2.checkpoint_items).restore(cls_prefix).assert_consumed()
    checks["classifier"] = {
        "how": "fresh build (seed %d); tf.train.Checkpoint(global_step=, model=, **checkpoint_items)"
               ".restore(prefix).assert_consumed()" % FRESH_SEED,
        "global_step": int(gs2.numpy()),
        "max_abs_diff_logits": check_equal(classifier_logits(cls2, inputs), logits),
        "max_abs_diff_sequence_output": check_equal(encoder_outputs(enc2, inputs)["sequence_output"],
                                                    enc_out["sequence_output"]),
    }
    enc3, cls3 = build(FRESH_SEED)
    status = tf.train.Checkpoint(model=cls3).restore(cls_prefix)
    status.assert_existing_objects_matched().expect_partial()      # global_step is not in this object tree
    checks["classifier_via_model_only"] = {
        "how": "fresh build; tf.train.Checkpoint(model=classifier).restore(prefix)"
               ".assert_existing_objects_matched(): the encoder variables stored under encoder/... are found "
               "through the object graph (model -> layer_with_weights-0 is the same node as encoder)",
        "max_abs_diff_logits": check_equal(classifier_logits(cls3, inputs), logits),
    }
    enc4, _ = build(FRESH_SEED)
    tf.train.Checkpoint(encoder=enc4).restore(enc_prefix).assert_consumed()
    o4 = encoder_outputs(enc4, inputs)
    checks["encoder"] = {
        "how": "fresh build; tf.train.Checkpoint(encoder=encoder).restore(prefix).assert_consumed()",
        "max_abs_diff_sequence_output": check_equal(o4["sequence_output"], enc_out["sequence_output"]),
        "max_abs_diff_pooled_output": check_equal(o4["pooled_output"], enc_out["pooled_output"]),
    }
    enc5, cls5 = build(FRESH_SEED)
    tf.train.Checkpoint(encoder=cls5.checkpoint_items["encoder"]).read(enc_prefix) \
        .expect_partial().assert_existing_objects_matched()
    o5 = encoder_outputs(enc5, inputs)
    checks["encoder_into_classifier"] = {
        "how": "sentence_prediction.SentencePredictionTask.initialize: fresh classifier; "
               "tf.train.Checkpoint(encoder=model.checkpoint_items['encoder']).read(encoder prefix)"
               ".expect_partial().assert_existing_objects_matched(); the head keeps its fresh weights",
        "max_abs_diff_sequence_output": check_equal(o5["sequence_output"], enc_out["sequence_output"]),
        "max_abs_diff_pooled_output": check_equal(o5["pooled_output"], enc_out["pooled_output"]),
    }
    for name, c in checks.items():
        for k, v in c.items():
            if k.startswith("max_abs_diff"):
                assert v == 0.0, (name, k, v)

    # the stored bytes are the variables' bytes
    reader = tf.train.load_checkpoint(cls_prefix)
    key_of = {}
    for e in cls_desc["keys"]:
        if "full_name" in e and e["dtype"] == "float32":
            key_of[e["full_name"]] = e["name"]
    variables = variables_table(classifier, key_of)
    for v in variables:
        assert v["checkpoint_key"], v
        assert sha256_f32(reader.get_tensor(v["checkpoint_key"])) == v["sha256"], v
    enc_keys = {e["full_name"]: e for e in enc_desc["keys"] if "full_name" in e}
    for v in variables:
        if not v["name"].startswith("sentence_prediction/"):
            assert enc_keys[v["name"][:-2]]["sha256"] == v["sha256"], v

    einsum = {}
    for layer in encoder.layers:
        if type(layer).__name__ == "TransformerEncoderBlock":
            att = layer._attention_layer
            for attr in ("_query_dense", "_key_dense", "_value_dense", "_output_dense"):
                d = getattr(att, attr)
                einsum[f"{layer.name}/{attr}"] = {
                    "class": f"{type(d).__module__}.{type(d).__name__}", "equation": d.equation,
                    "kernel": list(d.kernel.shape), "bias": list(d.bias.shape)}
    c = CONFIG
    hidden, heads = c["hidden_size"], c["num_attention_heads"]
    assert einsum["transformer/layer_0/_query_dense"]["kernel"] == [hidden, heads, hidden // heads]
    assert einsum["transformer/layer_0/_output_dense"]["kernel"] == [heads, hidden // heads, hidden]

    cfg_dict = encoder_config().as_dict()
    write_json(os.path.join(root, "reference.json"), to_py({
        "writer": {
            "script": "tools/make_model_garden_fixture.py", "command": COMMAND, "versions": VERSIONS,
            "sha256": "of the little-endian bytes of tf.train.load_checkpoint(prefix).get_tensor(name) (float32, "
                      "int64; for the DT_STRING object graph of the value's bytes); for Keras variables of "
                      "variable.numpy() as float32 little-endian",
            "seeds": {"init": SEED, "noise": NOISE_SEED, "fresh_models_for_checks": FRESH_SEED,
                      "inputs": INPUT_SEED},
        },
        "note": "reference.json is not a case; prefixes are relative to this folder. Both checkpoints hold the same "
                "encoder weights (one encoder object); vocab.txt is fixtures/tokenizer/vocab.txt",
        "config": {
            "tiny_bert": CONFIG,
            "encoder_config": cfg_dict,
            "encoder_class": f"{type(encoder).__module__}.{type(encoder).__name__}",
            "encoder_built_by": "official.nlp.configs.encoders.build_encoder(EncoderConfig(type='bert', "
                                "bert=BertEncoderConfig(...))); type 'bert' (the EncoderConfig default) builds "
                                "networks.BertEncoder (functional tf_keras.Model), 'bert_v2' BertEncoderV2",
            "classifier_class": f"{type(classifier).__module__}.{type(classifier).__name__}",
            "classifier_args": {"num_classes": NUM_CLASSES, "initializer": "TruncatedNormal(stddev=0.02)",
                                "use_encoder_pooler": True, "dropout_rate": 0.1,
                                "head": "layers.ClassificationHead(inner_dim=0, name='sentence_prediction'): "
                                        "dropout + Dense 'logits' (attribute out_proj) on pooled_output"},
            "activation": "Model Garden 'gelu' = tf_keras.activations.gelu(approximate=True) (tanh form): "
                          "transformers hidden_act 'gelu_new', not 'gelu'",
            "layer_norm_epsilon": 1e-12,
            "weights": f"seeded init (tf_keras.utils.set_random_seed({SEED})), then every variable += numpy "
                       f"default_rng({NOISE_SEED}).normal(0, {NOISE_STD}) in classifier.weights order",
        },
        "keras": {
            "count_params": classifier.count_params(),
            "encoder_count_params": encoder.count_params(),
            "trainable_variables": variables,
            "variable_path": "tf_keras 2.x variables have no .path: path is null; name is variable.name",
        },
        "einsum_dense": einsum,
        "hf_mapping": {
            "note": "per key in checkpoints.*.keys[].hf: the transformers BertForSequenceClassification name "
                    "(drop 'bert.' for BertModel) and how to turn the stored tensor into it; Model Garden "
                    "layer_with_weights-N inside the encoder: 0 word, 1 position, 2 type embeddings, 3 embedding "
                    "LayerNorm, 4..num_layers+3 transformer layers, num_layers+4 pooler_transform",
            "bert_config": {"vocab_size": c["vocab_size"], "hidden_size": hidden,
                            "num_hidden_layers": c["num_layers"], "num_attention_heads": heads,
                            "intermediate_size": c["intermediate_size"],
                            "max_position_embeddings": c["max_position_embeddings"],
                            "type_vocab_size": c["type_vocab_size"], "hidden_act": "gelu_new",
                            "layer_norm_eps": 1e-12, "num_labels": NUM_CLASSES},
        },
        "inputs": inputs,
        "outputs": {
            "encoder": {"sequence_output": enc_out["sequence_output"], "pooled_output": enc_out["pooled_output"],
                        "call": "encoder(dict(input_word_ids, input_mask, input_type_ids), training=False)"},
            "classifier": {"logits": logits,
                           "call": "classifier(dict(input_word_ids, input_mask, input_type_ids), training=False)"},
        },
        "checkpoints": {
            "classifier": {
                "recipe": f"BertClassifier(network=BertEncoder, num_classes={NUM_CLASSES}, use_encoder_pooler=True); "
                          f"tf.train.Checkpoint(global_step=<int64 {GLOBAL_STEP}>, model=classifier, "
                          "**classifier.checkpoint_items) (= base_trainer.Trainer's checkpoint without the optimizer) "
                          f"saved by tf.train.CheckpointManager(step_counter=global_step).save(checkpoint_number="
                          f"global_step) -> ckpt-{GLOBAL_STEP}; the text `checkpoint` file rewritten by "
                          "tf.__internal__.train.update_checkpoint_state (what tf.train.Checkpoint.save calls) without timestamps. checkpoint_items is "
                          "{'encoder': network}: encoder variables are stored once, under encoder/..., the head "
                          "under model/layer_with_weights-1/out_proj/...; also global_step and save_counter",
                **cls_desc},
            "encoder": {
                "recipe": "the same BertEncoder object; tf.train.Checkpoint(encoder=encoder).save('encoder/ckpt') -> "
                          "ckpt-1 (tf2_bert_encoder_checkpoint_converter.py's key and call); encoder/... keys and "
                          "save_counter",
                **enc_desc},
        },
        "reload_checks": checks,
    }))
    size = folder_size(root)
    assert size < MAX_FOLDER_BYTES, size
    for dirpath, _dirs, names in sorted(os.walk(root)):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            print(f"{os.path.relpath(p, out):60s} {os.path.getsize(p):9d}")
    print(f"{OWNED}: {size} bytes")


if __name__ == "__main__":
    main()
