#!/usr/bin/env python3
"""Writes fixtures/keras3-archive/ and fixtures/keras3-archive-hostile/: Keras 3 `.keras` archives.

    env -u TF_USE_LEGACY_KERAS KERAS_BACKEND=tensorflow CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_keras_archive_fixtures.py fixtures

Keras 3 (the `keras` package, TensorFlow backend, CPU): TF_USE_LEGACY_KERAS must NOT be set (the
script drops it before importing Keras). Run it after tools/make_fixtures.py: it reads the sizes
of fixtures/keras3/reference.json and deletes and rewrites only the folders in OWNED.

A `.keras` archive (Keras 3 `model.save("x.keras")`) is a zip of metadata.json, config.json and
model.weights.h5, written by Keras with ZIP_STORED (no compression).

- keras3-archive/: written by Keras itself.
  - subclassed.keras: tools/fixture_keras3.py's CustomIMDBModel (the notebook's subclassed CNN),
    with the keras3/ fixture's seed and perturbation (the same weights as keras3/model.weights.h5).
    Saved as is: Keras 3 records its __init__ arguments itself (no get_config).
  - functional.keras: the same CNN as a functional model (Input int32 ids -> Embedding -> three
    Conv1D(kernel 2, 3, 4, relu) -> GlobalMaxPool1D each -> Concatenate -> Dense(relu) -> Dropout ->
    Dense(1, sigmoid)), user layer names, every weight drawn from a seeded numpy generator.
  - frozen.keras: functional.keras's model (same weights) with `trainable = False` set on the
    Embedding and on conv_3 before saving.
  - reference.json: per archive the zip members (compression method, sizes), metadata.json,
    config.json's class_name, Keras' parameter counts, every stored weight (its path inside
    model.weights.h5, layer, shape, sha256 of the float32 little-endian C-order bytes), the HDF5
    attributes, and model.predict on a fixed seeded batch of ids (given too); each archive is
    loaded back with keras.saving.load_model and must give the same predictions.
- keras3-archive-hostile/: archives a reader must refuse or handle, each made by rewriting
  functional.keras with Python's zipfile (lambda.keras is written by Keras); reference.json's
  "cases" says what was done, the expected problem and what Keras' own load_model does with it.
"""

import hashlib
import io
import json
import os
import platform
import sys
import tempfile
import zipfile

os.environ.pop("TF_USE_LEGACY_KERAS", None)
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import h5py  # noqa: E402

import fixture_common  # noqa: E402
import fixture_keras3  # noqa: E402  (the keras3/ fixture's model class and builder; imports Keras 3)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

assert keras.__version__.startswith("3."), keras.__version__
layers = keras.layers

OWNED = ["keras3-archive", "keras3-archive-hostile"]
COMMAND = ("env -u TF_USE_LEGACY_KERAS KERAS_BACKEND=tensorflow CUDA_VISIBLE_DEVICES= /root/refenv/bin/python "
           "tools/make_keras_archive_fixtures.py fixtures")
SUBCLASSED_SEED = 401      # tools/fixture_keras3.py's seed (with its perturbation): keras3/'s weights
FUNCTIONAL_SEED = 2024     # numpy generator drawing every weight of the functional model
LAMBDA_SEED = 77
IDS_SEED = 5
BATCH, SEQ_LEN = 4, 16
FROZEN = ["embedding", "conv_3"]
TRUNCATE_FRACTION = 0.6
MAX_FOLDER_BYTES = 2 * 1000 * 1000

COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}

first_line = fixture_common.first_line
n_elems = fixture_keras3.n_elems


def versions():
    return {"python": platform.python_version(), "keras": keras.__version__, "tensorflow": tf.__version__,
            "h5py": h5py.__version__, "numpy": np.__version__, "keras_backend": keras.backend.backend()}


# ----------------------------------------------------------------------------------------------
# models

def input_batch(vocab_size):
    """A [BATCH, SEQ_LEN] int32 batch: [CLS]=101 ... [SEP]=102 then 0 padding, seeded lengths and ids."""
    rng = np.random.default_rng(IDS_SEED)
    ids = np.zeros((BATCH, SEQ_LEN), dtype=np.int32)
    for row in range(BATCH):
        n = SEQ_LEN if row == 0 else int(rng.integers(6, SEQ_LEN))
        ids[row, 0] = 101
        ids[row, 1:n - 1] = rng.integers(103, vocab_size, n - 2)
        ids[row, n - 1] = 102
    return ids


@keras.saving.register_keras_serializable()  # default package: registered_name "Custom>CustomIMDBModel"
class CustomIMDBModel(fixture_keras3.CustomIMDBModel):
    """tools/fixture_keras3.py's class plus the get_config a Keras 3 full-model save needs.

    Keras 3.15 cannot auto-generate a config for a keras.Model subclass (Model.__new__ drops the
    constructor arguments), so model.save of the plain class raises NotImplementedError.
    """

    def __init__(self, vocabulary_size, embedding_dimensions=128, cnn_filters=50, dnn_units=512,
                 model_output_classes=2, dropout_rate=0.1, name="custom_imdb_model"):
        super().__init__(vocabulary_size, embedding_dimensions=embedding_dimensions, cnn_filters=cnn_filters,
                         dnn_units=dnn_units, model_output_classes=model_output_classes,
                         dropout_rate=dropout_rate, name=name)
        self._init_args = {"vocabulary_size": vocabulary_size, "embedding_dimensions": embedding_dimensions,
                           "cnn_filters": cnn_filters, "dnn_units": dnn_units,
                           "model_output_classes": model_output_classes, "dropout_rate": dropout_rate}

    def get_config(self):
        return {**self._init_args, "name": self.name}


def subclassed_model(args):
    """The keras3/ fixture's model and weights (fixture_keras3.build: seed 401 and its perturbation),
    copied into the serialisable subclass; also what model.save of the plain class does."""
    built = fixture_keras3.build(args, SUBCLASSED_SEED, True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            built.save(os.path.join(tmp, "plain.keras"))
            plain = "saved"
        except Exception as e:  # noqa: BLE001
            plain = f"{type(e).__name__}: {' '.join(str(e).split())[:160]}"
    cnn = args["cnn"]
    keras.utils.clear_session()
    model = CustomIMDBModel(args["vocab_size"], embedding_dimensions=cnn["embedding_dim"],
                            cnn_filters=cnn["cnn_filters"], dnn_units=cnn["dnn_units"], model_output_classes=2,
                            dropout_rate=cnn["dropout_rate"])
    model(np.asarray(args["build_ids"], dtype=np.int32), training=False)
    assert [w.path for w in model.weights] == [w.path for w in built.weights]
    model.set_weights(built.get_weights())
    return model, plain


def functional_model(args, name="functional_imdb_cnn"):
    """The notebook CNN as a Keras 3 functional model, weights drawn from numpy (seeded)."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(FUNCTIONAL_SEED)
    cnn = args["cnn"]
    ids = keras.Input(shape=(None,), dtype="int32", name="input_ids")
    x = layers.Embedding(args["vocab_size"], cnn["embedding_dim"], name="embedding")(ids)
    pooled = []
    for k in (2, 3, 4):
        c = layers.Conv1D(cnn["cnn_filters"], k, padding="valid", activation="relu", name=f"conv_{k}")(x)
        pooled.append(layers.GlobalMaxPool1D(name=f"pool_{k}")(c))
    x = layers.Concatenate(axis=-1, name="concat")(pooled)
    x = layers.Dense(cnn["dnn_units"], activation="relu", name="dense")(x)
    x = layers.Dropout(cnn["dropout_rate"], name="dropout")(x)
    out = layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(ids, out, name=name)
    rng = np.random.default_rng(FUNCTIONAL_SEED)
    for v in model.weights:
        scale = 0.5 if "embedding" in v.path else 0.3
        v.assign(rng.normal(0.0, scale, tuple(v.shape)).astype(np.float32))
    return model


def lambda_model(vocab_size):
    """A small functional model with a Lambda layer wrapping a Python `lambda` (marshalled bytecode)."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(LAMBDA_SEED)
    ids = keras.Input(shape=(None,), dtype="int32", name="input_ids")
    x = layers.Embedding(vocab_size, 4, name="embedding")(ids)
    x = layers.GlobalMaxPool1D(name="pool")(x)
    x = layers.Lambda(lambda t: t * 2.0, name="scale")(x)
    out = layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(ids, out, name="lambda_model")
    rng = np.random.default_rng(LAMBDA_SEED)
    for v in model.weights:
        v.assign(rng.normal(0.0, 0.3, tuple(v.shape)).astype(np.float32))
    return model


# ----------------------------------------------------------------------------------------------
# reading an archive back (zipfile + h5py only)

def zip_members(path):
    with zipfile.ZipFile(path) as z:
        return [{"name": i.filename, "compression": COMPRESSION.get(i.compress_type, str(i.compress_type)),
                 "compress_type": i.compress_type, "file_size": i.file_size, "compress_size": i.compress_size,
                 "header_offset": i.header_offset} for i in z.infolist()]


def read_member(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def h5_contents(data):
    """{dataset path: array} and {object path: {attribute: value}} of an HDF5 file held in memory."""
    datasets, attrs = {}, {}

    def plain(v):
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return fixture_common.to_py(v)

    with h5py.File(io.BytesIO(data), "r") as f:
        if f.attrs:
            attrs["/"] = {k: plain(v) for k, v in f.attrs.items()}

        def visit(name, obj):
            if obj.attrs:
                attrs[name] = {k: plain(v) for k, v in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                datasets[name] = (np.asarray(obj[()]), str(obj.dtype))

        f.visititems(visit)
    return datasets, attrs


def sha256_f32(a):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(a, dtype="<f4")).tobytes()).hexdigest()


def weight_table(model, datasets):
    """Every stored weight in model order, matched to its model variable by value (each match unique)."""
    out, used = [], set()
    for layer in model.layers:
        for v in layer.weights:
            val = np.asarray(v.numpy())
            hits = [p for p, (a, _dt) in datasets.items()
                    if a.shape == val.shape and a.dtype == val.dtype and np.array_equal(a, val)]
            assert len(hits) == 1, (v.path, hits)
            used.add(hits[0])
            out.append({"path": hits[0], "layer": layer.name, "variable": v.path, "class": type(layer).__name__,
                        "trainable": bool(v.trainable), "dtype": datasets[hits[0]][1], "shape": list(val.shape),
                        "sha256": sha256_f32(val)})
    assert used == set(datasets), sorted(set(datasets) - used)
    return out


def describe(path, model, ids, call, loaded_pred):
    members = zip_members(path)
    config = json.loads(read_member(path, "config.json"))
    metadata = json.loads(read_member(path, "metadata.json"))
    datasets, attrs = h5_contents(read_member(path, "model.weights.h5"))
    pred = model.predict(ids, verbose=0)
    diff = float(np.max(np.abs(loaded_pred - pred)))
    assert diff == 0.0, (path, diff)
    entry = {
        "call": call,
        "size": os.path.getsize(path),
        "zip_members": members,
        "metadata": metadata,
        "keras_version": metadata["keras_version"],
        "config": {k: config.get(k) for k in ("module", "class_name", "registered_name")},
        "parameters": {"trainable": n_elems(model.trainable_weights),
                       "non_trainable": n_elems(model.non_trainable_weights),
                       "total": n_elems(model.weights), "count_params": int(model.count_params())},
    }
    if isinstance(config.get("config"), dict) and isinstance(config["config"].get("layers"), list):
        entry["config_layers"] = [{"name": l["config"]["name"], "class_name": l["class_name"],
                                   "trainable": l["config"].get("trainable")} for l in config["config"]["layers"]]
    else:
        entry["config"]["config"] = config.get("config")
    entry["model_layers"] = [{"name": l.name, "class": type(l).__name__, "trainable": bool(l.trainable),
                              "parameters": int(l.count_params())} for l in model.layers]
    entry["h5_datasets"] = len(datasets)
    entry["weights"] = weight_table(model, datasets)
    entry["h5_attributes"] = attrs
    entry["predictions"] = pred
    entry["load_back"] = {"call": "keras.saving.load_model(path).predict(input_ids)" +
                          (" (class registered in this script)" if config.get("registered_name") else ""),
                          "max_abs_diff": diff}
    return entry


def keras_load(path):
    """What Keras' own load_model(path) does with an archive: "loaded" or the error's class and first
    line, plus any warnings it gave (the fixtures folder's absolute path written as fixtures/)."""
    import warnings

    root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            keras.saving.load_model(path)
            result = "loaded"
        except Exception as e:  # noqa: BLE001
            result = f"{type(e).__name__}: {first_line(e)}"
    said = sorted({first_line(w.message) for w in caught if "retracing" not in str(w.message)})
    return [x.replace(root + os.sep, "fixtures/") for x in [result] + said]


# ----------------------------------------------------------------------------------------------
# hostile archives (rewritten with zipfile)

BOMB_BYTES = 256 << 20


def rezip(src, dest, compression=zipfile.ZIP_STORED, drop=(), extra=()):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            new.compress_type = compression
            new.external_attr = info.external_attr
            zout.writestr(new, zin.read(info.filename))
        for name, data in extra:
            new = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            new.compress_type = zipfile.ZIP_STORED
            zout.writestr(new, data)


def npz_support(model, tmp):
    """Whether the public model.save accepts weights_format="npz" (and what Keras' internals do)."""
    dest = os.path.join(tmp, "npz.keras")
    try:
        model.save(dest, weights_format="npz")
        public = "accepted"
    except Exception as e:  # noqa: BLE001
        public = f"{type(e).__name__}: {first_line(e)}"
    from keras.src.saving import saving_lib
    import inspect
    return {"model.save(path, weights_format='npz')": public,
            "keras.src.saving.saving_lib.save_model signature": str(inspect.signature(saving_lib.save_model))}


def make_hostile(hostile, good_path, lambda_path, lambda_model_obj, npz_info):
    cases = []

    def case(name, what, problem, **extra):
        path = os.path.join(hostile, name)
        entry = {"file": name, "size": os.path.getsize(path), "what_was_done": what, "expected_problem": problem}
        try:
            entry["zip_members"] = zip_members(path)
        except zipfile.BadZipFile as e:
            entry["zip_members"] = f"BadZipFile: {first_line(e)}"
        entry.update(extra)
        result = keras_load(path)
        entry["keras_load_model"] = result[0]
        if result[1:]:
            entry["keras_load_model_warnings"] = result[1:]
        cases.append(entry)

    rezip(good_path, os.path.join(hostile, "deflated.keras"), compression=zipfile.ZIP_DEFLATED)
    case("deflated.keras",
         "keras3-archive/functional.keras re-zipped with Python zipfile, every member ZIP_DEFLATED "
         "(same names, order and contents): a user re-zipping the archive",
         "members are compressed (method 8) where Keras writes them stored (method 0): a reader that only "
         "maps stored members must inflate them or say the archive is compressed; contents equal functional.keras")
    rezip(good_path, os.path.join(hostile, "no-weights.keras"), drop=("model.weights.h5",))
    case("no-weights.keras", "keras3-archive/functional.keras re-zipped (stored) without model.weights.h5",
         "no weights member (no model.weights.h5 nor model.weights.npz): config.json and metadata.json only")
    rezip(good_path, os.path.join(hostile, "traversal.keras"),
          extra=(("../evil.txt", b"this member's name climbs out of the extraction folder\n"),))
    case("traversal.keras",
         "keras3-archive/functional.keras re-zipped (stored) with an extra stored member named \"../evil.txt\" "
         "appended after the Keras members",
         "a member name with a \"..\" component (path traversal): a reader must never extract it to disk "
         "(or must refuse the archive); the Keras members are intact")
    bomb = os.path.join(hostile, "bomb.keras")
    rezip(good_path, bomb, drop=("model.weights.h5",))
    with zipfile.ZipFile(bomb, "a") as z:
        info = zipfile.ZipInfo("model.weights.h5", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, bytes(BOMB_BYTES))
    case("bomb.keras",
         f"keras3-archive/functional.keras with model.weights.h5 replaced by {BOMB_BYTES} zero bytes, deflated",
         "a zip bomb: the member inflates about 1000x (declared size / compressed size); a reader must refuse "
         "it from the directory's sizes, before taking the memory")
    bad_crc = os.path.join(hostile, "bad-crc.keras")
    rezip(good_path, bad_crc, compression=zipfile.ZIP_DEFLATED)
    raw = bytearray(open(bad_crc, "rb").read())
    entries = [i for i in range(len(raw)) if raw[i:i + 4] == b"PK\x01\x02"]
    weights_entry = [i for i in entries if raw[i + 46:i + 46 + 16] == b"model.weights.h5"][0]
    raw[weights_entry + 16] ^= 0xFF  # the CRC-32 of model.weights.h5 in the central directory
    open(bad_crc, "wb").write(bytes(raw))
    case("bad-crc.keras",
         "deflated.keras with one byte of model.weights.h5's CRC-32 flipped in the central directory",
         "the inflated weights do not match the directory's CRC-32: a corrupt archive (zipfile raises "
         "BadZipFile 'Bad CRC-32')")
    data = open(good_path, "rb").read()
    cut = int(len(data) * TRUNCATE_FRACTION)
    with open(os.path.join(hostile, "truncated.keras"), "wb") as f:
        f.write(data[:cut])
    inside = [m for m in zip_members(good_path) if m["header_offset"] <= cut][-1]
    case("truncated.keras",
         f"the first {cut} of the {len(data)} bytes ({int(TRUNCATE_FRACTION * 100)}%) of "
         "keras3-archive/functional.keras",
         "no end-of-central-directory record and no central directory (not a complete zip): a truncated "
         "download or copy; the local headers before the cut are intact",
         original_size=len(data), kept_bytes=cut,
         cut_falls_in=f"the data of {inside['name']} (its local header at offset {inside['header_offset']})")

    # lambda.keras: written by Keras (model.save), with the Lambda's config recorded
    config = json.loads(read_member(lambda_path, "config.json"))
    lam = [l for l in config["config"]["layers"] if l["class_name"] == "Lambda"]
    assert len(lam) == 1, lam
    datasets, _attrs = h5_contents(read_member(lambda_path, "model.weights.h5"))
    case("lambda.keras",
         "model.save(\"lambda.keras\") of a small functional model: input_ids -> Embedding(2000, 4) -> "
         "GlobalMaxPool1D -> Lambda(lambda t: t * 2.0, name=\"scale\") -> Dense(1, sigmoid)",
         "config.json holds a Lambda layer whose function is a Python lambda serialised as marshalled "
         "bytecode (base64, class_name \"__lambda__\"): a reader must never execute (or unmarshal) it; "
         "the weights are ordinary (the Lambda has none)",
         lambda_layer_config=lam[0],
         parameters={"trainable": n_elems(lambda_model_obj.trainable_weights),
                     "non_trainable": n_elems(lambda_model_obj.non_trainable_weights),
                     "total": n_elems(lambda_model_obj.weights)},
         weights=weight_table(lambda_model_obj, datasets))
    cases[-1]["notes"] = [
        "keras_load_model is load_model(path) with the default safe_mode=True, which refuses the lambda; "
        "nothing here loads it with safe_mode=False",
        "function.config.code is base64 of Python 3.11 marshal data (its co_filename is this script's "
        "absolute path); shared_object_id values are Python id()s: both differ from run to run"]
    cases.append({"file": "npz-weights.keras", "written": False,
                  "why": "skipped: Keras 3's public model.save(path, weights_format=\"npz\") rejects the argument "
                         "(saving_api.save_model takes no weights_format); only the internal "
                         "keras.src.saving.saving_lib.save_model has it, and load_model also reads a "
                         "model.weights.npz member",
                  "keras_check": npz_info})
    return cases


# ----------------------------------------------------------------------------------------------

def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[1])
    tf.config.experimental.enable_op_determinism()
    _ref, args = fixture_keras3.read_fixture(os.path.join(root, "keras3"))
    good = fixture_common.fresh_folder(os.path.join(root, OWNED[0]))
    hostile = fixture_common.fresh_folder(os.path.join(root, OWNED[1]))
    ids = input_batch(args["vocab_size"])
    archives = {}

    # subclassed.keras: the keras3/ fixture's model and weights, saved as is
    sub, plain_save = subclassed_model(args)
    sub_path = os.path.join(good, "subclassed.keras")
    sub.save(sub_path)
    back = keras.saving.load_model(sub_path)  # the class is registered (this module)
    assert type(back).__name__ == "CustomIMDBModel", type(back)
    same = fixture_keras3.build(args, 12, False)
    same.load_weights(os.path.join(root, "keras3", "model.weights.h5"))
    vs_keras3 = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(sub.weights, same.weights))
    assert vs_keras3 == 0.0, vs_keras3
    archives["subclassed.keras"] = describe(
        sub_path, sub, ids, "model.save(\"subclassed.keras\") of tools/fixture_keras3.py's CustomIMDBModel "
        "plus get_config, registered with @keras.saving.register_keras_serializable() (package \"Custom\"); "
        "weights of fixture_keras3.build(args, 401, perturb=True) (built by calling it on keras3/'s ids): the "
        "same weights as fixtures/keras3/model.weights.h5", back.predict(ids, verbose=0))
    archives["subclassed.keras"]["weights_vs_keras3_fixture_max_abs_diff"] = vs_keras3
    archives["subclassed.keras"]["plain_class_model_save"] = plain_save

    # functional.keras and frozen.keras: the same functional model, the second with two layers frozen
    fun = functional_model(args)
    fun_path = os.path.join(good, "functional.keras")
    fun.save(fun_path)
    archives["functional.keras"] = describe(
        fun_path, fun, ids, "model.save(\"functional.keras\") of a keras.Model(inputs, outputs) built from "
        f"keras.Input(shape=(None,), dtype=\"int32\"), every weight numpy default_rng({FUNCTIONAL_SEED}).normal "
        "(std 0.5 embedding, 0.3 others) in model.weights order", keras.saving.load_model(fun_path).predict(ids, verbose=0))
    for name in FROZEN:
        fun.get_layer(name).trainable = False
    frozen_path = os.path.join(good, "frozen.keras")
    fun.save(frozen_path)
    loaded = keras.saving.load_model(frozen_path)
    assert [l.name for l in loaded.layers if not l.trainable] == FROZEN, [l.name for l in loaded.layers]
    archives["frozen.keras"] = describe(
        frozen_path, fun, ids, "the functional.keras model (same weights) with layer.trainable = False set on "
        f"{FROZEN} before model.save(\"frozen.keras\")", loaded.predict(ids, verbose=0))
    archives["frozen.keras"]["frozen_layers"] = FROZEN

    with tempfile.TemporaryDirectory() as tmp:
        npz_info = npz_support(fun, tmp)
    lam = lambda_model(args["vocab_size"])
    lam_path = os.path.join(hostile, "lambda.keras")
    lam.save(lam_path)

    config = {"vocab_size": args["vocab_size"], **args["cnn"], "kernel_sizes": [2, 3, 4],
              "output": "Dense(1, sigmoid)"}
    writer = {"script": "tools/make_keras_archive_fixtures.py", "command": COMMAND, "versions": versions()}
    fixture_common.write_json(os.path.join(good, "reference.json"), {
        "writer": writer,
        "format": "Keras 3 .keras archive: zip of metadata.json, config.json, model.weights.h5 (Keras writes "
                  "every member ZIP_STORED)",
        "config": config,
        "input_ids": ids,
        "notes": [
            "predictions are model.predict(input_ids) of each model, the sigmoid output, float32 values "
            "(written as the exact float of each float32); shape [batch, 1]",
            "sha256 is over the weight's float32 little-endian C-order bytes; 'path' is the dataset path "
            "inside model.weights.h5, 'layer' the Keras layer name, 'variable' Keras' variable.path",
            "parameters are Keras' own counts: sums of prod(shape) over model.trainable_weights / "
            "non_trainable_weights (as model.summary() counts them)",
            "the archives are not byte-reproducible: metadata.json holds date_saved, the zip entries the "
            "save time, config.json each DTypePolicy's shared_object_id (a Python id()); weights, "
            "model.weights.h5 layout and predictions are",
            "model.weights.h5 layout: a functional model's weights sit under layers/<auto name>/vars/<i> "
            "where <auto name> is Keras' class-based name (conv1d, conv1d_1, dense_1, ...) and NOT the "
            "user's layer name; the user's name is the 'name' attribute of each .../vars group (see "
            "h5_attributes). A subclassed model's sit under <python attribute>/vars/<i> (cnn_layer1, "
            "last_dense, ...) with the layer name again in the vars group's 'name' attribute; a layer first "
            "reached through the model's 'layers' list (attribute names sort before it are visited first) "
            "is stored under layers/<auto name>/ instead. Weightless layers and the model itself get empty "
            "vars groups (the model's: top-level 'vars')",
        ],
        "archives": archives,
    })
    fixture_common.write_json(os.path.join(hostile, "reference.json"), {
        "writer": writer,
        "source": "keras3-archive/functional.keras (rewritten with Python zipfile), lambda.keras written by Keras",
        "cases": make_hostile(hostile, fun_path, lam_path, lam, npz_info),
    })
    for folder in (good, hostile):
        size = fixture_common.folder_size(folder)
        assert size < MAX_FOLDER_BYTES, (folder, size)
        print(f"{os.path.relpath(folder)}: {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
