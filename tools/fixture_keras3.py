"""Keras 3 fixture (run by make_fixtures.py in a subprocess WITHOUT TF_USE_LEGACY_KERAS).

    KERAS_BACKEND=tensorflow python tools/fixture_keras3.py OUTDIR '{"vocab_size":..., "cnn": {...},
                                                                    "input_ids": [[...]], "build_ids": [[...]]}'
"""

import json
import os
import sys

os.environ.pop("TF_USE_LEGACY_KERAS", None)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import h5py  # noqa: E402

from fixture_common import h5_count_datasets, write_json  # noqa: E402

assert keras.__version__.startswith("3."), keras.__version__
layers = keras.layers


class CustomIMDBModel(keras.Model):
    """The notebook's CustomIMDBModel written for Keras 3 (tf.concat -> keras.ops.concatenate)."""

    def __init__(self, vocabulary_size, embedding_dimensions=128, cnn_filters=50, dnn_units=512,
                 model_output_classes=2, dropout_rate=0.1, name="custom_imdb_model"):
        super().__init__(name=name)
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

    def call(self, inputs, training=False):
        l = self.embedding(inputs)
        l_1 = self.pool(self.cnn_layer1(l))
        l_2 = self.pool(self.cnn_layer2(l))
        l_3 = self.pool(self.cnn_layer3(l))
        x = keras.ops.concatenate([l_1, l_2, l_3], axis=-1)
        x = self.dense_1(x)
        x = self.dropout(x, training=training)
        return self.last_dense(x)


def read_fixture(fixture_dir):
    """The keras3/ fixture's reference.json and the build() arguments that give its model back."""
    with open(os.path.join(fixture_dir, "reference.json")) as f:
        ref = json.load(f)
    cfg = ref["config"]
    args = {"vocab_size": cfg["vocab_size"],
            "cnn": {k: cfg[k] for k in ("embedding_dim", "cnn_filters", "dnn_units", "dropout_rate")},
            # builds the weights; their shapes do not depend on the batch
            "build_ids": ref["logits"]["input_ids"]}
    return ref, args


def build(args, seed, perturb):
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    cnn = args["cnn"]
    m = CustomIMDBModel(args["vocab_size"], embedding_dimensions=cnn["embedding_dim"],
                        cnn_filters=cnn["cnn_filters"], dnn_units=cnn["dnn_units"], model_output_classes=2,
                        dropout_rate=cnn["dropout_rate"])
    m(np.asarray(args["build_ids"], dtype=np.int32), training=False)
    if perturb:
        rng = np.random.default_rng(seed + 1)
        for v in m.weights:
            v.assign(np.asarray(v.numpy()) + rng.normal(0.0, 0.02, tuple(v.shape)).astype(np.float32))
    return m


def n_elems(vs):
    return int(sum(int(np.prod(v.shape)) for v in vs))


def main():
    out, args = sys.argv[1], json.loads(sys.argv[2])
    model = build(args, 401, True)
    dest = os.path.join(out, "model.weights.h5")
    model.save_weights(dest)
    ids = np.asarray(args["input_ids"], dtype=np.int32)
    pred = model.predict(ids, verbose=0)
    other = build(args, 995, False)
    other.load_weights(dest)
    np.testing.assert_allclose(other.predict(ids, verbose=0), pred, atol=1e-6)
    ref = {
        "writer": {"class": "CustomIMDBModel (Keras 3 subclassed keras.Model)", "call": "save_weights",
                   "framework": f"keras {keras.__version__} (backend {keras.backend.backend()}, "
                                f"tensorflow {tf.__version__}) / h5py {h5py.__version__}",
                   "built_by": "calling the model on a [2, 16] batch of input_ids"},
        "weights_file": "model.weights.h5",
        "config": {"vocab_size": args["vocab_size"], **args["cnn"]},
        "parameters": {"total": int(model.count_params()), "trainable": n_elems(model.trainable_weights),
                       "non_trainable": n_elems(model.non_trainable_weights)},
        "layers": [{"name": l.name, "class": type(l).__name__, "parameters": int(l.count_params()),
                    "trainable": bool(l.trainable)} for l in model.layers],
        "stored_tensors": h5_count_datasets(dest),
        "logits": {"input_ids": args["input_ids"], "logits": pred,
                   "note": "model takes input_ids only; logits = sigmoid output as model.predict returns it"},
    }
    write_json(os.path.join(out, "reference.json"), ref)


if __name__ == "__main__":
    main()
