#!/usr/bin/env python3
"""Writes fixtures/foreign/ (checkpoint formats bertinspect does not read) and fixtures/tokenizer-cased/.

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_foreign_fixtures.py fixtures

Same reference environment as tools/make_fixtures.py (tools/requirements.txt), plus, optionally, the
`gguf` package (`pip install --no-deps gguf`; its dependencies numpy, pyyaml, requests and tqdm are
already there) for model.gguf; without it the same bytes are written by hand. Run it after
tools/make_fixtures.py: it reads fixtures/pt-seqcls, fixtures/tf-seqcls, fixtures/keras3 and
fixtures/tokenizer, and deletes and rewrites only the folders in OWNED. The Keras 3 file is written by
this script re-run in a subprocess without TF_USE_LEGACY_KERAS (`--keras3-child OUTDIR`, internal).

- foreign/: one small file (or folder) per checkpoint format, each written by the real framework from
  the tiny BERT of pt-seqcls / tf-seqcls (same weights) or, for Keras 3, from keras3/'s CNN (same
  weights). expected.json maps each entry to the phrase naming its format; reference.json records
  the call, the framework versions, the size and the load-back check of each entry.
- tokenizer-cased/: a cased vocabulary built from tokenizer/vocab.txt (capitalised variants of the
  whole-word tokens appended; ids 0-103 unchanged), written by
  `BertTokenizer(vocab, do_lower_case=False).save_pretrained(dir)` with tokenizer_config.json and
  special_tokens_map.json then deleted (nothing records do_lower_case), and cases.json: the slow
  BertTokenizer on ~20 texts with capitals, do_lower_case=False ("cased") and True ("uncased").
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fixture_common  # noqa: E402

OWNED = ["foreign", "tokenizer-cased"]
COMMAND = "TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_foreign_fixtures.py fixtures"
MAX_FILE_BYTES = 1000 * 1000   # every file under ~1 MB
PT_SRC = "pt-seqcls"
TF_SRC = "tf-seqcls"

# entry in foreign/ -> the phrase naming its format (written to foreign/expected.json)
EXPECTED = {
    "saved_model": "TensorFlow SavedModel",
    "model.gguf": "GGUF",
    "torchscript.pt": "TorchScript archive",
    "lfs-pointer.safetensors": "Git LFS pointer",
}
# model.onnx stays in the folder but is no longer foreign: ONNX is read (a model without BERT weights, exit 3).
# PyTorch pickle checkpoints (pytorch_model.bin, legacy torch.save) and TensorFlow checkpoints are read since 0.2.0:
# tools/make_pickle_fixtures.py and tools/make_tf_checkpoint_fixtures.py write them (fixtures/pt-bin/, fixtures/tf-ckpt/).
# Keras 3 .keras archives are read since 0.2.0 too: model.keras stays here (the keras3/ fixture's weights, saved whole
# by Keras 3) as a read test, and tools/make_keras_archive_fixtures.py writes fixtures/keras3-archive/.

# What `git clone` leaves in place of a weights file when git-lfs is not installed (the spec's three lines).
LFS_POINTER = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:6ad2ec2b4d8cbbb0b4a5b2a21a7bc6e6b9d8e1d9b0a5b0c8c2b7e1f3a4d5c6b7\n"
               "size 433263448\n")

OUT = None


fresh_dir = fixture_common.fresh_folder


first_line = fixture_common.first_line


def entry_files(path):
    """{relative name: bytes} of a file or of every file under a folder."""
    if os.path.isfile(path):
        return {os.path.basename(path): os.path.getsize(path)}
    out = {}
    for root, _dirs, files in os.walk(path):
        for name in sorted(files):
            full = os.path.join(root, name)
            out[os.path.relpath(full, path)] = os.path.getsize(full)
    return dict(sorted(out.items()))


# ----------------------------------------------------------------------------------------------
# Keras 3 (child process: no TF_USE_LEGACY_KERAS, so `keras` is Keras 3)

def keras3_child(out):
    os.environ.pop("TF_USE_LEGACY_KERAS", None)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import numpy as np
    import fixture_keras3  # the keras3/ fixture's model class and builder (pops TF_USE_LEGACY_KERAS too)
    import keras
    import tensorflow as tf

    fixture_dir = os.path.join(os.path.dirname(out), "keras3")
    ref, args = fixture_keras3.read_fixture(fixture_dir)
    cnn = args["cnn"]
    init = {"vocabulary_size": args["vocab_size"], "embedding_dimensions": cnn["embedding_dim"],
            "cnn_filters": cnn["cnn_filters"], "dnn_units": cnn["dnn_units"], "model_output_classes": 2,
            "dropout_rate": cnn["dropout_rate"], "name": "custom_imdb_model"}

    @keras.saving.register_keras_serializable(package="bertinspect")
    class CustomIMDBModel(fixture_keras3.CustomIMDBModel):
        """The fixture's class plus the get_config a Keras 3 full-model save needs (its __init__ args)."""

        def get_config(self):
            return dict(init)

    # seed 401 and the perturbation of tools/fixture_keras3.py: the keras3/ fixture's weights
    built = fixture_keras3.build(args, 401, True)
    keras.utils.clear_session()
    model = CustomIMDBModel(**init)
    model(np.asarray(args["build_ids"], dtype=np.int32), training=False)
    model.set_weights(built.get_weights())
    same = fixture_keras3.build(args, 12, False)
    same.load_weights(os.path.join(fixture_dir, "model.weights.h5"))
    assert [w.path for w in model.weights] == [w.path for w in same.weights]
    diff = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(model.weights, same.weights))
    assert diff == 0.0, diff

    dest = os.path.join(out, "model.keras")
    model.save(dest)
    ids = np.asarray(ref["logits"]["input_ids"], dtype=np.int32)
    back = keras.saving.load_model(dest)
    assert type(back).__name__ == "CustomIMDBModel", type(back)
    pred_diff = float(np.max(np.abs(back.predict(ids, verbose=0) - np.asarray(ref["logits"]["logits"]))))
    with zipfile.ZipFile(dest) as z:
        members = z.namelist()
    print(json.dumps({
        "framework": f"keras {keras.__version__} (backend {keras.backend.backend()}, tensorflow {tf.__version__})",
        "weights_vs_keras3_fixture_max_abs_diff": diff, "zip_members": members,
        "class": "bertinspect>CustomIMDBModel (tools/fixture_keras3.py's class + get_config, "
                 "register_keras_serializable(package='bertinspect'))",
        "load_back": "keras.saving.load_model(path) with the class registered",
        "load_back_logits_vs_keras3_reference_max_abs_diff": pred_diff}))


# ----------------------------------------------------------------------------------------------
# foreign/ (parent process: tf-keras, PyTorch, transformers)

def ref_batch(torch):
    with open(os.path.join(OUT, PT_SRC, "reference.json")) as f:
        logits = json.load(f)["logits"]
    feed = {k: torch.tensor(logits[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}
    return feed, logits["logits"]


def logits_diff(got, want):
    import numpy as np
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(want, dtype=np.float64))))


def make_pytorch_files(foreign, mf, report):
    import torch
    from transformers import BertForSequenceClassification

    src = os.path.join(OUT, PT_SRC)
    feed, want = ref_batch(torch)
    model = BertForSequenceClassification.from_pretrained(src).eval()

    # torchscript.pt: torch.jit.trace of the model loaded with torchscript=True (transformers' recipe)
    ts_model = BertForSequenceClassification.from_pretrained(src, torchscript=True).eval()
    example = (feed["input_ids"], feed["attention_mask"], feed["token_type_ids"])
    path = os.path.join(foreign, "torchscript.pt")
    with torch.no_grad():
        traced = torch.jit.trace(ts_model, example)
    traced.save(path)
    assert zipfile.is_zipfile(path)
    loaded = torch.jit.load(path)
    with torch.no_grad():
        d = logits_diff(loaded(*example)[0].numpy(), want)
    report["torchscript.pt"] = {
        "call": f'torch.jit.trace(BertForSequenceClassification.from_pretrained("{PT_SRC}", torchscript=True), '
                '(input_ids, attention_mask, token_type_ids)).save(path)',
        "framework": mf.FW_PT, "container": "zip (TorchScript archive: code/, constants.pkl, data.pkl)",
        "example_inputs": "the 2 x 12 batch of pt-seqcls/reference.json",
        "load_back": "torch.jit.load(path)(input_ids, attention_mask, token_type_ids)[0]",
        "load_back_logits_vs_pt_seqcls_max_abs_diff": d}

    # model.onnx: torch.onnx.export (TorchScript-based exporter); it needs the `onnx` package
    path = os.path.join(foreign, "model.onnx")
    call = ("torch.onnx.export(model, (input_ids, attention_mask, token_type_ids), path, dynamo=False, "
            "opset_version=17, input_names=[...], output_names=['logits'])")
    try:
        torch.onnx.export(ts_model, example, path, dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"])
        report["model.onnx"] = {"call": call, "framework": mf.FW_PT, "written_by": "torch.onnx.export"}
    except Exception as e:  # noqa: BLE001 - OnnxExporterError "Module onnx is not installed!" here
        if os.path.exists(path):
            os.remove(path)
        write_minimal_onnx(path)
        report["model.onnx"] = {
            "call": "hand-written ModelProto (see write_minimal_onnx)",
            "written_by": "hand (protobuf wire format, field numbers of onnx.proto)",
            "why": f"{call} raised {type(e).__name__}: {first_line(e)}",
            "content": {"ir_version (1)": 8, "producer_name (2)": "bertinspect-fixture",
                        "graph (7)": {"name (2)": "bertinspect-fixture-graph"},
                        "opset_import (8)": {"domain (1)": "", "version (2)": 17}},
            "check": check_minimal_onnx(path)}


_varint = fixture_common.varint


def _field(number, wire, payload):
    return _varint(number << 3 | wire) + payload


def _len_field(number, data):
    return _field(number, 2, _varint(len(data)) + data)


def write_minimal_onnx(path):
    """ModelProto{ir_version=8, producer_name, graph=GraphProto{name}, opset_import=[{domain "", version 17}]}."""
    graph = _len_field(2, b"bertinspect-fixture-graph")                    # GraphProto.name = 2
    opset = _len_field(1, b"") + _field(2, 0, _varint(17))                 # OperatorSetIdProto
    model = (_field(1, 0, _varint(8))                                      # ModelProto.ir_version = 1
             + _len_field(2, b"bertinspect-fixture")                       # ModelProto.producer_name = 2
             + _len_field(7, graph)                                        # ModelProto.graph = 7
             + _len_field(8, opset))                                       # ModelProto.opset_import = 8
    with open(path, "wb") as f:
        f.write(model)


def check_minimal_onnx(path):
    """Parses the file with protobuf using a descriptor holding onnx.proto's field numbers."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fd = descriptor_pb2.FileDescriptorProto(name="bertinspect_onnx_subset.proto", package="onnx_subset")
    T = descriptor_pb2.FieldDescriptorProto

    def msg(name, fields):
        m = fd.message_type.add(name=name)
        for fname, number, ftype, label, tname in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if tname:
                f.type_name = tname

    opt, rep = T.LABEL_OPTIONAL, T.LABEL_REPEATED
    msg("OperatorSetIdProto", [("domain", 1, T.TYPE_STRING, opt, None), ("version", 2, T.TYPE_INT64, opt, None)])
    msg("GraphProto", [("name", 2, T.TYPE_STRING, opt, None)])
    msg("ModelProto", [("ir_version", 1, T.TYPE_INT64, opt, None), ("producer_name", 2, T.TYPE_STRING, opt, None),
                       ("graph", 7, T.TYPE_MESSAGE, opt, ".onnx_subset.GraphProto"),
                       ("opset_import", 8, T.TYPE_MESSAGE, rep, ".onnx_subset.OperatorSetIdProto")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("onnx_subset.ModelProto"))
    m = cls()
    with open(path, "rb") as f:
        data = f.read()
    m.ParseFromString(data)
    got = {"ir_version": m.ir_version, "producer_name": m.producer_name, "graph_name": m.graph.name,
           "opset_import": [(o.domain, o.version) for o in m.opset_import]}
    assert got == {"ir_version": 8, "producer_name": "bertinspect-fixture",
                   "graph_name": "bertinspect-fixture-graph", "opset_import": [("", 17)]}, got
    assert m.SerializeToString() == data      # nothing unknown, nothing out of order
    return "parses with google.protobuf against onnx.proto's field numbers (ModelProto 1/2/7/8, GraphProto 2)"


GGUF_ALIGNMENT = 32


def gguf_bytes():
    """GGUF v3: magic, version, tensor_count 0, kv_count 1, general.architecture = "bert", padded to 32."""
    def gstr(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b
    data = (b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
            + gstr("general.architecture") + struct.pack("<I", 8) + gstr("bert"))   # 8 = GGUF_TYPE_STRING
    return data + b"\0" * (-len(data) % GGUF_ALIGNMENT)


def make_gguf(foreign, report):
    path = os.path.join(foreign, "model.gguf")
    try:
        import gguf
    except ImportError:
        gguf = None
    if gguf is not None:
        w = gguf.GGUFWriter(path, "bert")
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        with open(path, "rb") as f:
            data = f.read()
        assert data == gguf_bytes(), data       # the hand-written fallback is byte-identical
        r = gguf.GGUFReader(path)
        arch = r.fields["general.architecture"]
        assert bytes(arch.parts[arch.data[0]]).decode() == "bert" and len(r.tensors) == 0
        import importlib.metadata
        report["model.gguf"] = {
            "call": 'w = gguf.GGUFWriter(path, "bert"); w.write_header_to_file(); w.write_kv_data_to_file(); '
                    "w.write_tensors_to_file(); w.close()",
            "framework": f"gguf {importlib.metadata.version('gguf')}", "written_by": "gguf.GGUFWriter",
            "load_back": "gguf.GGUFReader(path): general.architecture = 'bert', 0 tensors"}
    else:
        with open(path, "wb") as f:
            f.write(gguf_bytes())
        report["model.gguf"] = {"call": "hand-written (gguf package not installed)", "written_by": "hand"}
    report["model.gguf"]["content"] = ("magic GGUF, version 3 (uint32), tensor_count 0 (uint64), metadata_kv_count 1 "
                                       "(uint64), general.architecture = string 'bert', zero padding to 32 bytes; "
                                       "byte-identical to tools/make_foreign_fixtures.py gguf_bytes()")


def make_tf_files(foreign, mf, report):
    import numpy as np
    import tensorflow as tf
    from transformers import TFBertForSequenceClassification

    src = os.path.join(OUT, TF_SRC)
    with open(os.path.join(src, "reference.json")) as f:
        tf_ref = json.load(f)["logits"]
    feed = {k: tf.constant(tf_ref[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}

    # TF checkpoints (save_weights without .h5 suffix) are read since 0.2.0: tools/make_tf_checkpoint_fixtures.py
    # writes them to fixtures/tf-ckpt/.
    mf.keras_session(701)
    model = TFBertForSequenceClassification.from_pretrained(src)

    # saved_model/: the TF BERT SavedModel's saved_model.pb alone is 1.2 MB, so a tiny tf.Module holding
    # tf-seqcls's classifier head (kernel [32, 2], bias [2]) with one serving signature
    kernel = model.classifier.kernel.numpy()
    bias = model.classifier.bias.numpy()

    class ClassifierHead(tf.Module):
        def __init__(self):
            super().__init__(name="classifier_head")
            self.kernel = tf.Variable(kernel, name="kernel")
            self.bias = tf.Variable(bias, name="bias")

        @tf.function(input_signature=[tf.TensorSpec([None, kernel.shape[0]], tf.float32, name="pooled_output")])
        def __call__(self, pooled_output):
            return {"logits": tf.matmul(pooled_output, self.kernel) + self.bias}

    head = ClassifierHead()
    folder = os.path.join(foreign, "saved_model")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    tf.saved_model.save(head, folder, signatures={"serving_default": head.__call__})
    assets = os.path.join(folder, "assets")
    if os.path.isdir(assets) and not os.listdir(assets):
        os.rmdir(assets)   # empty (git cannot hold it); the SavedModel loads without it
    loaded = tf.saved_model.load(folder)
    pooled = np.linspace(-1, 1, 2 * kernel.shape[0], dtype=np.float32).reshape(2, -1)
    got = loaded.signatures["serving_default"](pooled_output=tf.constant(pooled))["logits"].numpy()
    d = logits_diff(got, pooled @ kernel + bias)
    report["saved_model"] = {
        "call": "tf.saved_model.save(ClassifierHead(), dir, signatures={'serving_default': head.__call__}): "
                "a tf.Module holding tf-seqcls's classifier kernel [32, 2] and bias [2], "
                "signature pooled_output [None, 32] float32 -> {'logits'}",
        "why_not_bert": "tf.saved_model.save of TFBertForSequenceClassification writes a 1.2 MB saved_model.pb "
                        "(1.6 MB in all), over the ~1 MB per file limit",
        "framework": f"tensorflow {tf.__version__}",
        "removed": "the empty assets/ folder tf.saved_model.save creates (git cannot hold an empty folder)",
        "load_back": "tf.saved_model.load(dir).signatures['serving_default'] vs numpy x @ kernel + bias",
        "load_back_max_abs_diff": d}


def make_keras3(foreign, report):
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["KERAS_BACKEND"] = "tensorflow"
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--keras3-child", foreign],
                            env=env, check=True, stdout=subprocess.PIPE, text=True)
    info = json.loads(result.stdout.strip().splitlines()[-1])
    report["model.keras"] = {
        "call": "model.save(\"model.keras\") of tools/fixture_keras3.py's CustomIMDBModel built with the keras3/ "
                "fixture's seed and perturbation (same weights as keras3/model.weights.h5)",
        **info,
        "note": "the archive's metadata.json holds date_saved and the zip members carry timestamps: the bytes "
                "change on every run"}


def make_foreign(mf):
    foreign = fresh_dir(os.path.join(OUT, "foreign"))
    report = {}
    make_pytorch_files(foreign, mf, report)
    with open(os.path.join(foreign, "lfs-pointer.safetensors"), "w") as f:
        f.write(LFS_POINTER)
    report["lfs-pointer.safetensors"] = {
        "call": "written by hand: the Git LFS pointer text (https://git-lfs.github.com/spec/v1) a clone without "
                "git-lfs leaves in place of model.safetensors"}
    make_gguf(foreign, report)
    make_tf_files(foreign, mf, report)
    make_keras3(foreign, report)

    entries = {}
    for name, phrase in EXPECTED.items():
        path = os.path.join(foreign, name)
        assert os.path.exists(path), path
        files = entry_files(path)
        for rel, size in files.items():
            assert size < MAX_FILE_BYTES, (name, rel, size)
        entries[name] = {"format": phrase, "kind": "folder" if os.path.isdir(path) else "file",
                         "bytes": files if os.path.isdir(path) else files[name], **report[name]}
    on_disk = sorted(os.listdir(foreign))
    assert on_disk == sorted(EXPECTED), on_disk

    from fixture_common import write_json
    write_json(os.path.join(foreign, "expected.json"), EXPECTED)
    write_json(os.path.join(foreign, "reference.json"), {
        "writer": {"script": "tools/make_foreign_fixtures.py", "command": COMMAND, "versions": versions(mf),
                   "source": f"{PT_SRC} (PyTorch files), {TF_SRC} (TensorFlow files), keras3 (model.keras)"},
        "note": "expected.json and reference.json are not cases",
        "entries": entries})
    return foreign


def versions(mf):
    import importlib.metadata
    out = dict(mf.VERSIONS)
    for pkg in ("protobuf", "gguf"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


# ----------------------------------------------------------------------------------------------
# tokenizer-cased/

# words whose all-caps form is also added (the texts below use them)
ALL_CAPS = ["the", "and", "was", "this", "new", "movie", "great", "bert", "html", "http", "https", "www", "com"]

CASED_TEXTS = [
    "I thought this was a Wonderful movie",
    "The Movie",
    "the movie",
    "THE MOVIE WAS GREAT",
    "don't be so Judgmental",
    "Ünïcödé Text",
    "NEW YORK",
    "New York",
    "Hello World",
    "BERT Reviewers",
    "Café Déjà Vu",
    "Excellent Acting, Terrible Plot!",
    "This Is The Best Movie Ever",
    "My Family And I",
    "McDonald's",
    "HTTPS://WWW.IMDB.COM",
    "Judgment Day",
    "Worst. Movie. Ever.",
    "ALLCAPS and lowercase MiXeD",
    "I love this Movie 😀",
    "Ümlaut Über Straße",
]


def cased_vocab(uncased_lines):
    specials = uncased_lines[:104]
    assert specials[0] == "[PAD]" and specials[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"], specials[100:]
    have = set(uncased_lines)
    added = []

    def add(tok):
        if tok not in have:
            have.add(tok)
            added.append(tok)

    for tok in uncased_lines[104:]:
        if tok.startswith("##") or (tok.startswith("[") and tok.endswith("]")):
            continue
        if len(tok) >= 2 and tok.isalpha():
            add(tok.capitalize())
            if tok in ALL_CAPS:
                add(tok.upper())
    missing = [w for w in ALL_CAPS if w not in uncased_lines]
    assert not missing, missing
    return uncased_lines + added, added


def make_tokenizer_cased(mf):
    from transformers import BertTokenizer
    from fixture_common import write_json
    import transformers

    src = os.path.join(OUT, "tokenizer", "vocab.txt")
    with open(src, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    vocab, added = cased_vocab(lines)
    folder = fresh_dir(os.path.join(OUT, "tokenizer-cased"))
    with tempfile.TemporaryDirectory() as tmp:
        staged = os.path.join(tmp, "vocab.txt")
        with open(staged, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(vocab) + "\n")
        tok = BertTokenizer(staged, do_lower_case=False)
        written = sorted(tok.save_pretrained(folder))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        os.remove(os.path.join(folder, name))
    assert sorted(os.listdir(folder)) == ["vocab.txt"], os.listdir(folder)
    vocab_path = os.path.join(folder, "vocab.txt")
    with open(vocab_path, encoding="utf-8") as f:
        assert f.read().split("\n")[:-1] == vocab       # save_pretrained wrote the vocabulary unchanged
    assert vocab[:104] == lines[:104]

    toks = {"cased": BertTokenizer(vocab_path, do_lower_case=False),
            "uncased": BertTokenizer(vocab_path, do_lower_case=True)}
    cases = {key: [{"text": t, "tokens": tk.tokenize(t), "input_ids": tk.encode(t)} for t in CASED_TEXTS]
             for key, tk in toks.items()}
    differ = sum(a["input_ids"] != b["input_ids"] for a, b in zip(cases["cased"], cases["uncased"]))
    assert differ >= len(CASED_TEXTS) - 3, differ
    write_json(os.path.join(folder, "cases.json"), {
        "writer": {"class": "BertTokenizer (slow, python)", "transformers": transformers.__version__,
                   "vocab": f"vocab.txt in this folder ({len(vocab)} lines: tokenizer/vocab.txt's 2000 lines, then "
                            f"{len(added)} capitalised / all-caps variants of its whole-word tokens)",
                   "calls": {"tokens": "tokenizer.tokenize(text)",
                             "input_ids": "tokenizer.encode(text) (adds [CLS] ... [SEP])"},
                   "cased": "BertTokenizer(vocab_file, do_lower_case=False)",
                   "uncased": "BertTokenizer(vocab_file, do_lower_case=True)",
                   "folder": "BertTokenizer(vocab_file, do_lower_case=False).save_pretrained(dir), then "
                             "tokenizer_config.json and special_tokens_map.json deleted: nothing in the folder "
                             "records do_lower_case",
                   "save_pretrained_wrote": [os.path.basename(p) for p in written],
                   "versions": versions(mf)},
        "special_ids": {t: vocab.index(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")},
        "texts_with_different_ids": differ,
        "cased": cases["cased"],
        "uncased": cases["uncased"],
    }, ensure_ascii=True)
    return folder, vocab, added


# ----------------------------------------------------------------------------------------------

def main():
    global OUT
    if len(sys.argv) == 3 and sys.argv[1] == "--keras3-child":
        keras3_child(os.path.abspath(sys.argv[2]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    for need in (PT_SRC, TF_SRC, "keras3", "tokenizer"):
        if not os.path.isdir(os.path.join(OUT, need)):
            sys.exit(f"{os.path.join(OUT, need)} missing: run tools/make_fixtures.py first")

    # the helpers and settings (environment for tf-keras, threads, determinism, versions) of the main fixture
    # script; imported before TensorFlow, whose environment it sets
    import make_fixtures as mf
    import transformers
    from fixture_common import folder_size
    transformers.logging.set_verbosity_error()

    foreign = make_foreign(mf)
    for name in sorted(os.listdir(foreign)):
        path = os.path.join(foreign, name)
        size = folder_size(path) if os.path.isdir(path) else os.path.getsize(path)
        print(f"foreign/{name:24s} {size:10d} bytes")
    folder, vocab, added = make_tokenizer_cased(mf)
    print(f"tokenizer-cased/  {len(vocab)} tokens ({len(added)} added), {folder_size(folder)} bytes")


if __name__ == "__main__":
    main()
