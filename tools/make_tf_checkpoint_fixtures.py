#!/usr/bin/env python3
"""Writes fixtures/tf-ckpt/ (TensorFlow checkpoint bundles written by the real TensorFlow) and
fixtures/tf-ckpt-hostile/ (damaged copies of a small one).

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_tf_checkpoint_fixtures.py fixtures

Same reference environment as tools/make_fixtures.py (tools/requirements.txt: tensorflow 2.19 with tf-keras,
transformers 4.57.6, torch cpu, numpy). Run it after tools/make_fixtures.py: it reads fixtures/pt-pretraining,
fixtures/pt-seqcls and fixtures/tf-seqcls, and deletes and rewrites only the folders in OWNED.

tf-ckpt/ (every bundle is `<prefix>.index` + `<prefix>.data-00000-of-00001`):
- google-pretraining/: pt-pretraining's weights under google-research/bert's variable names
  (`bert/encoder/layer_0/attention/self/query/kernel` [in, out] = PyTorch weight transposed, LayerNorm
  gamma/beta, `cls/predictions/output_bias`, `cls/seq_relationship/output_weights` [2, H] not transposed), plus
  `<var>/adam_m`, `<var>/adam_v` (seeded random) and int64 `global_step` = 1000, written by TF1's
  `tf.compat.v1.train.Saver` in graph mode as `model.ckpt-1000` (+ the text `checkpoint` file), with
  Google's `bert_config.json` and vocab.txt.
- google-classifier/: pt-seqcls's weights as run_classifier.py writes them: `bert/...` plus root-level
  `output_weights` [num_labels, H] / `output_bias`, Adam slots, global_step; `model.ckpt-1000`.
- google-bare/: only pt-seqcls's `bert/...` weights, prefix `bert_model.ckpt` (like a released
  `bert_model.ckpt`: no slots, no global_step, no `checkpoint` file; with the Saver's `.meta`).
- keras-tf-format/: tf-keras `save_weights("weights")` (TF format) of
  `TFBertForSequenceClassification.from_pretrained("tf-seqcls")`.
- tf2-checkpoint/: `tf.train.Checkpoint(model=<same model>).save("ckpt")` -> `ckpt-1`.
reference.json records, per entry, every key as tf.train.load_checkpoint reports it (dtype, shape, sha256 of
the little-endian bytes), the raw index (footer, blocks, every BundleEntryProto: shard, offset, size, masked
CRC32C, all re-checked against the data file by this script's own SSTable reader and CRC32C), what transformers
makes of the Google checkpoints (load_tf_weights_in_bert) and, for the TF2 ones, the object graph's full_name
of every key, the HF TF variable each key restores into, and the logits.

tf-ckpt-hostile/: `<case>.index` / `<case>.data-00000-of-00001` pairs, damaged copies of a small checkpoint
written by the same Saver (`valid`); cases.json says what was done to each and what
`tf.train.load_checkpoint(prefix)` + `get_tensor` of every key does with it.
"""

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# make_fixtures sets the reference environment on import (tf-keras for transformers' TF models, no GPU,
# deterministic ops), before TensorFlow loads.
import make_fixtures  # noqa: E402,F401

import numpy as np  # noqa: E402

import fixture_common  # noqa: E402
from fixture_common import folder_size, to_py, write_json  # noqa: E402

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig, BertForPreTraining, BertForSequenceClassification, BertModel, TFBertForSequenceClassification,
)
from tensorflow.core.protobuf import tensor_bundle_pb2, trackable_object_graph_pb2  # noqa: E402
from safetensors import safe_open  # noqa: E402

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
transformers.logging.set_verbosity_error()

COMMAND = ("TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python "
           "tools/make_tf_checkpoint_fixtures.py fixtures")
OWNED = ["tf-ckpt", "tf-ckpt-hostile"]
PT_PRE, PT_CLS, TF_CLS = "pt-pretraining", "pt-seqcls", "tf-seqcls"
MAX_FOLDER_BYTES = 4 * 1000 * 1000
GLOBAL_STEP = 1000
DATA_SUFFIX = ".data-00000-of-00001"
VERSIONS = {
    "python": sys.version.split()[0], "tensorflow": tf.__version__, "tf_keras": keras.__version__,
    "transformers": transformers.__version__, "torch": torch.__version__, "numpy": np.__version__,
    "protobuf": importlib.metadata.version("protobuf"),
}
OUT = None


# ----------------------------------------------------------------------------------------------
# generic helpers

fresh_dir = fixture_common.fresh_folder


def first_line(e):
    return fixture_common.first_line(e).replace(OUT + os.sep, "<fixtures>/").replace(OUT, "<fixtures>")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def le_bytes(arr):
    arr = np.asarray(arr)
    return np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"))).tobytes()


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def keras_session(seed):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def ref_inputs():
    with open(os.path.join(OUT, PT_CLS, "reference.json")) as f:
        logits = json.load(f)["logits"]
    return {k: logits[k] for k in ("input_ids", "attention_mask", "token_type_ids")}, logits["logits"]


def files_of(folder):
    return {name: os.path.getsize(os.path.join(folder, name)) for name in sorted(os.listdir(folder))}


# ----------------------------------------------------------------------------------------------
# CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and LevelDB's mask

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()
MASK_DELTA = 0xA282EAD8


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + MASK_DELTA) & 0xFFFFFFFF


def unmask(m):
    r = (m - MASK_DELTA) & 0xFFFFFFFF
    return ((r >> 17) | (r << 15)) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283
assert unmask(mask(0x12345678)) == 0x12345678


# ----------------------------------------------------------------------------------------------
# LevelDB-style SSTable (the .index file): reader and writer (tsl/lib/io/{format,block,table_builder}.cc)

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5


def read_varint(buf, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint runs past the end")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


varint = fixture_common.varint


def read_handle(buf, pos):
    off, pos = read_varint(buf, pos)
    size, pos = read_varint(buf, pos)
    return (off, size), pos


def parse_block(contents):
    """[(key, value)] of a block, plus its restart array; checks shared == 0 at every restart."""
    n = struct.unpack_from("<I", contents, len(contents) - 4)[0]
    end = len(contents) - 4 - 4 * n
    restarts = list(struct.unpack_from(f"<{n}I", contents, end))
    entries, pos, key = [], 0, b""
    while pos < end:
        start = pos
        shared, pos = read_varint(contents, pos)
        non_shared, pos = read_varint(contents, pos)
        vlen, pos = read_varint(contents, pos)
        if start in restarts:
            assert shared == 0, (start, shared)
        key = key[:shared] + bytes(contents[pos:pos + non_shared])
        pos += non_shared
        entries.append((key, bytes(contents[pos:pos + vlen])))
        pos += vlen
    assert pos == end, (pos, end)
    keys = [k for k, _ in entries]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    return entries, restarts


def read_block(buf, handle, what):
    off, size = handle
    contents = buf[off:off + size]
    btype = buf[off + size]
    stored = struct.unpack_from("<I", buf, off + size + 1)[0]
    assert mask(crc32c(contents + bytes([btype]))) == stored, f"{what} block checksum mismatch"
    assert btype == 0, f"{what} block compression type {btype}"
    return contents, btype, stored


def read_sstable(path):
    with open(path, "rb") as f:
        buf = f.read()
    footer = buf[-FOOTER_SIZE:]
    assert struct.unpack_from("<Q", footer, 40)[0] == TABLE_MAGIC
    meta_h, pos = read_handle(footer, 0)
    index_h, pos = read_handle(footer, pos)
    assert footer[pos:40] == b"\0" * (40 - pos)
    meta, meta_type, meta_crc = read_block(buf, meta_h, "metaindex")
    assert parse_block(meta)[0] == []
    index, index_type, index_crc = read_block(buf, index_h, "index")
    index_entries, index_restarts = parse_block(index)
    blocks, entries, expect_off = [], [], 0
    for sep, value in index_entries:
        handle, end = read_handle(value, 0)
        assert end == len(value)
        assert handle[0] == expect_off, (handle, expect_off)      # data blocks back to back from offset 0
        contents, btype, stored = read_block(buf, handle, "data")
        block_entries, restarts = parse_block(contents)
        assert block_entries and block_entries[-1][0] <= sep
        if entries:
            assert entries[-1][0] < block_entries[0][0]
        entries.extend(block_entries)
        blocks.append({"offset": handle[0], "size": handle[1], "compression_type": btype,
                       "masked_crc32c": stored, "entries": len(block_entries), "restarts": len(restarts),
                       "index_separator_key": sep.decode("latin-1"),
                       "first_key": block_entries[0][0].decode("latin-1"),
                       "last_key": block_entries[-1][0].decode("latin-1")})
        expect_off = handle[0] + handle[1] + TRAILER_SIZE
    assert meta_h[0] == expect_off and index_h[0] == meta_h[0] + meta_h[1] + TRAILER_SIZE
    assert index_h[0] + index_h[1] + TRAILER_SIZE + FOOTER_SIZE == len(buf)
    layout = {
        "file_size": len(buf),
        "footer": {"metaindex_handle": {"offset": meta_h[0], "size": meta_h[1]},
                   "index_handle": {"offset": index_h[0], "size": index_h[1]},
                   "magic_bytes": footer[40:].hex(" ")},
        "metaindex_block": {"compression_type": meta_type, "masked_crc32c": meta_crc, "bytes": meta.hex(" ")},
        "index_block": {"compression_type": index_type, "masked_crc32c": index_crc, "entries": len(index_entries),
                        "restarts": len(index_restarts)},
        "data_blocks": blocks,
        "num_data_blocks": len(blocks),
        "any_compressed_block": any(b["compression_type"] != 0 for b in blocks) or meta_type != 0
        or index_type != 0,
    }
    return layout, entries


def shortest_separator(start, limit):
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n:
        b = start[i]
        if b < 0xFF and b + 1 < limit[i]:
            return start[:i] + bytes([b + 1])
    return start


def short_successor(key):
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


class BlockBuilder:
    def __init__(self, restart_interval):
        self.interval, self.buf, self.restarts, self.counter, self.last = restart_interval, bytearray(), [0], 0, b""

    def add(self, key, value):
        shared = 0
        if self.counter < self.interval:
            n = min(len(self.last), len(key))
            while shared < n and self.last[shared] == key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.counter = 0
        self.buf += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        self.last, self.counter = key, self.counter + 1

    def size_estimate(self):
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self):
        return bytes(self.buf) + struct.pack(f"<{len(self.restarts)}I", *self.restarts) + \
            struct.pack("<I", len(self.restarts))

    def empty(self):
        return not self.buf


def snappy_literal(raw):
    """A valid snappy stream holding `raw` as literal elements only (no back-references)."""
    out = bytearray(varint(len(raw)))
    for i in range(0, len(raw), 65536):
        chunk = raw[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out += bytes([n << 2])                       # tag: literal, length - 1 in the upper 6 bits
        elif n < 256:
            out += bytes([60 << 2, n])                   # 60: length - 1 in the next byte
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)   # 61: length - 1 in the next 2 bytes (LE)
        out += chunk
    return bytes(out)


def write_sstable(entries, block_size=262144, restart_interval=16, data_block_type=0, fix_crc=True):
    """TableBuilder (kNoCompression) re-implemented: TF's bundle writer bytes for the same entries.

    data_block_type 1 with fix_crc: the data blocks are snappy-compressed (literal-only stream)."""
    out = bytearray()
    index = BlockBuilder(1)

    def write_block(contents, btype):
        handle = (len(out), len(contents))
        out.extend(contents + bytes([btype]) + struct.pack("<I", mask(crc32c(contents + bytes([btype])))))
        return handle

    block, pending, last = BlockBuilder(restart_interval), None, b""
    for key, value in entries:
        if pending is not None:
            index.add(shortest_separator(last, key), varint(pending[0]) + varint(pending[1]))
            pending = None
        block.add(key, value)
        last = key
        if block.size_estimate() >= block_size:
            raw = block.finish()
            pending = write_block(snappy_literal(raw) if data_block_type == 1 else raw, data_block_type)
            block = BlockBuilder(restart_interval)
    if not block.empty():
        raw = block.finish()
        pending = write_block(snappy_literal(raw) if data_block_type == 1 else raw, data_block_type)
    meta = write_block(BlockBuilder(restart_interval).finish(), 0)
    if pending is not None:
        index.add(short_successor(last), varint(pending[0]) + varint(pending[1]))
    idx = write_block(index.finish(), 0)
    footer = varint(meta[0]) + varint(meta[1]) + varint(idx[0]) + varint(idx[1])
    out += footer + b"\0" * (40 - len(footer)) + struct.pack("<Q", TABLE_MAGIC)
    return bytes(out)


# ----------------------------------------------------------------------------------------------
# bundle facts: the index parsed with TF's protos, checked against the data file; TF's own view

DTYPE_SIZES = {tf.float32.as_datatype_enum: 4, tf.int64.as_datatype_enum: 8, tf.int32.as_datatype_enum: 4,
               tf.float16.as_datatype_enum: 2, tf.bfloat16.as_datatype_enum: 2, tf.float64.as_datatype_enum: 8}


def index_facts(prefix, keys_from_tf):
    layout, entries = read_sstable(prefix + ".index")
    with open(prefix + ".index", "rb") as f:
        assert write_sstable(entries) == f.read(), "re-encoded index differs from TF's"
    assert entries[0][0] == b""
    header = tensor_bundle_pb2.BundleHeaderProto.FromString(entries[0][1])
    assert header.num_shards == 1 and header.endianness == tensor_bundle_pb2.BundleHeaderProto.LITTLE
    with open(prefix + DATA_SUFFIX, "rb") as f:
        data = f.read()
    rows, spans, string_layout = [], [], []
    for key, value in entries[1:]:
        e = tensor_bundle_pb2.BundleEntryProto.FromString(value)
        assert e.SerializeToString() == value and not e.slices and e.shard_id == 0
        chunk = data[e.offset:e.offset + e.size]
        assert len(chunk) == e.size
        shape = [d.size for d in e.shape.dim]
        if e.dtype == tf.string.as_datatype_enum:
            string_layout.append(string_tensor_layout(key.decode(), chunk, shape, e.crc32c))
        else:
            assert e.size == int(np.prod(shape, dtype=np.int64)) * DTYPE_SIZES[e.dtype], key
            assert mask(crc32c(chunk)) == e.crc32c, key   # the masked CRC32C of the bytes in the data file
        spans.append((e.offset, e.size))
        rows.append({"key": key.decode("utf-8"), "dtype_enum": e.dtype, "dtype": tf.as_dtype(e.dtype).name,
                     "shape": shape, "shard_id": e.shard_id, "offset": e.offset, "size": e.size,
                     "masked_crc32c": e.crc32c, "crc32c": unmask(e.crc32c),
                     "entry_proto_hex": value.hex()})
    spans.sort()
    pos = 0
    for off, size in spans:
        assert off == pos, (off, pos)     # no padding, no gaps
        pos += size
    assert pos == len(data)
    assert [r["key"] for r in rows] == sorted(keys_from_tf)
    by_offset = [r["key"] for r in sorted(rows, key=lambda r: r["offset"])]
    return {
        "data_file": os.path.basename(prefix + DATA_SUFFIX), "data_file_size": len(data),
        "data_contiguous_no_padding": True,
        "data_order_is_key_order": by_offset == [r["key"] for r in rows],
        "data_order_first_keys": by_offset[:5],
        "table": layout,
        "header": {"key": "", "value_hex": entries[0][1].hex(), "num_shards": header.num_shards,
                   "endianness": tensor_bundle_pb2.BundleHeaderProto.Endianness.Name(header.endianness),
                   "version": {"producer": header.version.producer, "min_consumer": header.version.min_consumer,
                               "bad_consumers": list(header.version.bad_consumers)}},
        "string_tensors": string_layout,
        "entries": rows,
        "checked": "every entry: proto round-trips, no slices, size == numel * element size and masked CRC32C "
                   "of data[offset:offset+size] == crc32c field (numeric; strings: see string_tensors); spans "
                   "tile the data file; the index re-encoded by this script's TableBuilder is byte-identical",
    }


def string_tensor_layout(key, chunk, shape, entry_crc):
    """DT_STRING on disk (tensor_bundle.cc WriteStringTensor): varint64 length per element, a fixed32 LE
    masked CRC32C of the lengths, the bytes. The entry's crc32c is NOT the CRC of the stored bytes: it runs
    over each length as a little-endian uint32 (uint64 if > 0xffffffff), then the 4 checksum bytes, then the
    string bytes."""
    n = int(np.prod(shape, dtype=np.int64))
    pos, lengths = 0, []
    for _ in range(n):
        length, pos = read_varint(chunk, pos)
        lengths.append(length)
    len_crc = 0
    for length in lengths:
        len_crc = crc32c(struct.pack("<I", length) if length <= 0xFFFFFFFF else struct.pack("<Q", length), len_crc)
    stored = struct.unpack_from("<I", chunk, pos)[0]
    assert stored == mask(len_crc), key
    assert pos + 4 + sum(lengths) == len(chunk)
    assert mask(crc32c(chunk[pos:], len_crc)) == entry_crc, key
    assert mask(crc32c(chunk)) != entry_crc
    return {"key": key, "elements": n, "lengths": lengths, "length_bytes": pos,
            "layout": "varint64 length per element, then fixed32 LE masked CRC32C of the lengths (each as LE "
                      "uint32, uint64 if > 0xffffffff), then the bytes",
            "length_checksum_masked": stored,
            "entry_crc32c_covers": "the lengths as LE uint32 (not the varint bytes), then the 4 length-checksum "
                                   "bytes, then the string bytes; the CRC32C of the stored bytes does not match"}


def tf_variables(prefix):
    reader = tf.train.load_checkpoint(prefix)
    dtypes, shapes = reader.get_variable_to_dtype_map(), reader.get_variable_to_shape_map()
    listed = tf.train.list_variables(prefix)
    assert sorted(n for n, _ in listed) == sorted(dtypes)
    out, values = [], {}
    for name, _shape in listed:
        value = reader.get_tensor(name)
        values[name] = value
        row = {"name": name, "dtype": dtypes[name].name, "shape": list(shapes[name])}
        if dtypes[name] == tf.string:
            b = value if isinstance(value, bytes) else bytes(value.item())
            row["bytes"] = len(b)
            row["sha256_of_value_bytes"] = sha256(b)
        else:
            row["sha256"] = sha256(le_bytes(value))
        out.append(row)
    return out, values


def object_graph(values):
    g = trackable_object_graph_pb2.TrackableObjectGraph.FromString(values["_CHECKPOINTABLE_OBJECT_GRAPH"])
    full, paths = {}, {0: ""}
    stack = [0]
    while stack:                       # node paths by local names from the root
        nid = stack.pop()
        for child in g.nodes[nid].children:
            if child.node_id not in paths:
                paths[child.node_id] = (paths[nid] + "/" if paths[nid] else "") + child.local_name
                stack.append(child.node_id)
    for nid, node in enumerate(g.nodes):
        for attr in node.attributes:
            full[attr.checkpoint_key] = {"full_name": attr.full_name, "attribute": attr.name, "node_id": nid,
                                         "node_path": paths.get(nid)}
    slots = sum(len(n.slot_variables) for n in g.nodes)
    return g, full, slots


def describe_bundle(folder, prefix_name):
    prefix = os.path.join(folder, prefix_name)
    variables, values = tf_variables(prefix)
    facts = index_facts(prefix, [v["name"] for v in variables])
    return prefix, variables, values, facts


# ----------------------------------------------------------------------------------------------
# PyTorch state dict -> google-research/bert names

def google_name(pt_name):
    """(google name, transpose) for a BertForPreTraining / BertForSequenceClassification parameter."""
    special = {"cls.predictions.bias": ("cls/predictions/output_bias", False),
               "cls.seq_relationship.weight": ("cls/seq_relationship/output_weights", False),
               "cls.seq_relationship.bias": ("cls/seq_relationship/output_bias", False),
               "classifier.weight": ("output_weights", False),
               "classifier.bias": ("output_bias", False)}
    if pt_name in special:
        return special[pt_name]
    parts = pt_name.split(".")
    last = parts.pop()
    path = "/".join(parts)
    path = re.sub(r"layer/(\d+)", r"layer_\1", path)
    if path.endswith("_embeddings"):
        assert last == "weight"
        return path, False
    if path.endswith("LayerNorm"):
        return path + "/" + {"weight": "gamma", "bias": "beta"}[last], False
    return path + "/" + {"weight": "kernel", "bias": "bias"}[last], last == "weight"


def google_arrays(state, tied):
    out = {}
    for name, t in state.items():
        if name in tied:
            continue
        gname, transpose = google_name(name)
        a = t.detach().cpu().numpy().astype(np.float32)
        out[gname] = np.ascontiguousarray(a.T if transpose else a)
    return dict(sorted(out.items()))


def google_config(pt_config_path):
    with open(pt_config_path) as f:
        c = json.load(f)
    keys = ["attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob", "hidden_size", "initializer_range",
            "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers",
            "type_vocab_size", "vocab_size"]
    return {k: c[k] for k in keys}


def write_google_config(folder, cfg):
    with open(os.path.join(folder, "bert_config.json"), "w", newline="\n") as f:
        f.write(json.dumps(cfg, indent=2, sort_keys=True) + "\n")


# ----------------------------------------------------------------------------------------------
# TF1 Saver (graph mode)

def adam_slots(arrays, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for name, a in arrays.items():
        out[name + "/adam_m"] = rng.normal(0.0, 1e-3, a.shape).astype(np.float32)
        out[name + "/adam_v"] = np.abs(rng.normal(0.0, 1e-6, a.shape)).astype(np.float32)
    return out


def saver_write(folder, base, arrays, global_step=None, write_state=True, write_meta=False):
    """tf.compat.v1.Variable per array (placeholder-initialised: no constants in the graph), Saver.save."""
    graph = tf.Graph()
    with graph.as_default():
        feeds, var_list = {}, []
        for name, a in arrays.items():
            ph = tf.compat.v1.placeholder(tf.as_dtype(a.dtype), a.shape)
            v = tf.compat.v1.Variable(ph, name=name, use_resource=False)
            assert v.op.name == name, (v.op.name, name)
            feeds[ph] = a
            var_list.append(v)
        assign_step = None
        if global_step is not None:
            gs = tf.compat.v1.train.get_or_create_global_step()
            assert gs.op.name == "global_step" and gs.dtype.base_dtype == tf.int64
            var_list.append(gs)
            assign_step = tf.compat.v1.assign(gs, global_step)
        saver = tf.compat.v1.train.Saver(var_list=var_list, save_relative_paths=True,
                                         write_version=tf.compat.v1.train.SaverDef.V2)
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer(), feed_dict=feeds)
            if assign_step is not None:
                sess.run(assign_step)
            path = saver.save(sess, os.path.join(folder, base), global_step=global_step,
                              write_meta_graph=write_meta, write_state=write_state)
    return os.path.basename(path)


# ----------------------------------------------------------------------------------------------
# transformers on the Google checkpoints

def state_dict_record(model):
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        rows = []
        with safe_open(os.path.join(tmp, "model.safetensors"), framework="numpy") as f:
            for k in sorted(f.keys()):
                a = f.get_tensor(k)
                rows.append({"name": k, "dtype": str(a.dtype), "shape": list(a.shape), "sha256": sha256(le_bytes(a))})
    return rows


def compare_state(model, source):
    """names of `model`'s state-dict entries equal / not equal to `source`'s."""
    src = source.state_dict()
    same, differ = [], []
    for k, v in model.state_dict().items():
        (same if k in src and torch.equal(v, src[k]) else differ).append(k)
    return same, differ


def try_load_tf(model, config, prefix):
    try:
        transformers.load_tf_weights_in_bert(model, config, prefix)
        return {"outcome": "returned normally"}
    except Exception as e:  # noqa: BLE001 - recorded
        return {"outcome": "raised", **exc_info(e)}


def pt_feed():
    feed, _ = ref_inputs()
    return {k: torch.tensor(v) for k, v in feed.items()}


# ----------------------------------------------------------------------------------------------
# entries

WRITER_TF1 = ("tf.Graph(); one tf.compat.v1.Variable(placeholder, name=<google name>, use_resource=False) per "
              "tensor{gs}; tf.compat.v1.train.Saver(var_list, save_relative_paths=True, write_version=V2)"
              ".save(sess, '{base}'{step_arg}, write_meta_graph={meta}{state})")


def make_google_pretraining(root):
    folder = fresh_dir(os.path.join(root, "google-pretraining"))
    src = BertForPreTraining.from_pretrained(os.path.join(OUT, PT_PRE)).eval()
    state = src.state_dict()
    tied = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}
    assert torch.equal(state["cls.predictions.decoder.weight"], state["bert.embeddings.word_embeddings.weight"])
    assert torch.equal(state["cls.predictions.decoder.bias"], state["cls.predictions.bias"])
    weights = google_arrays(state, tied)
    slots = adam_slots(weights, 1001)
    arrays = dict(sorted({**weights, **slots}.items()))
    base = saver_write(folder, "model.ckpt", arrays, global_step=GLOBAL_STEP)
    assert base == f"model.ckpt-{GLOBAL_STEP}"
    cfg = google_config(os.path.join(OUT, PT_PRE, "config.json"))
    write_google_config(folder, cfg)
    shutil.copy(os.path.join(OUT, PT_PRE, "vocab.txt"), folder)
    prefix, variables, values, facts = describe_bundle(folder, base)
    for k, a in arrays.items():
        assert np.array_equal(values[k], a), k
    assert int(values["global_step"]) == GLOBAL_STEP

    # transformers: BertForPreTraining(BertConfig.from_json_file(bert_config.json)) + load_tf_weights_in_bert
    config = BertConfig.from_json_file(os.path.join(folder, "bert_config.json"))
    torch.manual_seed(1002)
    model = BertForPreTraining(config).eval()
    outcome = try_load_tf(model, config, prefix)
    assert outcome["outcome"] == "returned normally", outcome
    same, differ = compare_state(model, src)
    assert not differ, differ
    feed = pt_feed()
    with torch.no_grad():
        got = model(**feed).seq_relationship_logits.numpy()
        want = src(**feed).seq_relationship_logits.numpy()
    tp = {"model": "BertForPreTraining(BertConfig.from_json_file('bert_config.json')) after torch.manual_seed(1002)",
          "call": "transformers.load_tf_weights_in_bert(model, config, prefix)", **outcome,
          "state_dict_equal_to_pt_pretraining": f"all {len(same)} entries",
          "state_dict": state_dict_record(model),
          "logits": {"key": "seq_relationship_logits", "inputs": f"{PT_CLS}/reference.json logits "
                     "(input_ids, attention_mask, token_type_ids)", "values": got,
                     "vs_pt_pretraining_model_max_abs_diff": max_diff(got, want)}}
    return {
        "source": f"{PT_PRE}/model.safetensors (BertForPreTraining.from_pretrained); tied "
                  "cls.predictions.decoder.{weight,bias} left out (= word_embeddings / cls.predictions.bias)",
        "writer": WRITER_TF1.format(gs="; tf.compat.v1.train.get_or_create_global_step() assigned 1000",
                                    base="model.ckpt", step_arg=", global_step=1000", meta=False, state=""),
        "prefix": f"google-pretraining/{base}", "files": files_of(folder),
        "bert_config": cfg,
        "adam_slots": "numpy default_rng(1001), per weight in name order: adam_m = normal(0, 1e-3), "
                      "adam_v = |normal(0, 1e-6)|, float32",
        "counts": {"weights": len(weights), "adam_slots": len(slots), "global_step": 1,
                   "keys": len(variables)},
        "variables": variables, "index": facts, "transformers_pytorch": tp,
    }


def make_google_classifier(root):
    folder = fresh_dir(os.path.join(root, "google-classifier"))
    src = BertForSequenceClassification.from_pretrained(os.path.join(OUT, PT_CLS)).eval()
    weights = google_arrays(src.state_dict(), set())
    assert "output_weights" in weights and not any(k.startswith("cls/") for k in weights)
    slots = adam_slots(weights, 2001)
    arrays = dict(sorted({**weights, **slots}.items()))
    base = saver_write(folder, "model.ckpt", arrays, global_step=GLOBAL_STEP)
    cfg = google_config(os.path.join(OUT, PT_CLS, "config.json"))
    write_google_config(folder, cfg)
    shutil.copy(os.path.join(OUT, PT_CLS, "vocab.txt"), folder)
    prefix, variables, values, facts = describe_bundle(folder, base)
    for k, a in arrays.items():
        assert np.array_equal(values[k], a), k

    num_labels = int(values["output_weights"].shape[0])
    config = BertConfig.from_json_file(os.path.join(folder, "bert_config.json"))
    config.num_labels = num_labels
    torch.manual_seed(2002)
    model = BertForSequenceClassification(config).eval()
    outcome = try_load_tf(model, config, prefix)
    same, differ = compare_state(model, src)
    feed = pt_feed()
    _, want = ref_inputs()
    tp = {"model": f"BertForSequenceClassification(BertConfig.from_json_file('bert_config.json'), num_labels="
                   f"{num_labels} from output_weights' shape) after torch.manual_seed(2002)",
          "call": "transformers.load_tf_weights_in_bert(model, config, prefix)", **outcome,
          "why": "tf.train.list_variables is sorted, so every bert/... key is copied first; then the root key "
                 "'output_bias' maps to getattr(model, 'bias') outside the function's try block -> the "
                 "exception, and 'output_weights' is never reached",
          "state_dict_after": {"equal_to_pt_seqcls": len(same), "not_equal (still random init)": differ}}
    # the intended mapping, by hand
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(values["output_weights"]))
        model.classifier.bias.copy_(torch.from_numpy(values["output_bias"]))
    same2, differ2 = compare_state(model, src)
    assert not differ2, differ2
    with torch.no_grad():
        got = model(**feed).logits.numpy()
    intended = {"call": "after the above: classifier.weight = output_weights [num_labels, H] (no transpose), "
                        "classifier.bias = output_bias",
                "state_dict_equal_to_pt_seqcls": f"all {len(same2)} entries",
                "state_dict": state_dict_record(model),
                "logits": {"key": "logits", "inputs": f"{PT_CLS}/reference.json logits", "values": got,
                           "vs_pt_seqcls_reference_max_abs_diff": max_diff(got, want)}}
    return {
        "source": f"{PT_CLS}/model.safetensors (BertForSequenceClassification.from_pretrained)",
        "writer": WRITER_TF1.format(gs="; tf.compat.v1.train.get_or_create_global_step() assigned 1000",
                                    base="model.ckpt", step_arg=", global_step=1000", meta=False, state=""),
        "prefix": f"google-classifier/{base}", "files": files_of(folder),
        "bert_config": cfg, "num_labels": num_labels,
        "adam_slots": "numpy default_rng(2001), as google-pretraining",
        "counts": {"weights": len(weights), "adam_slots": len(slots), "global_step": 1, "keys": len(variables)},
        "variables": variables, "index": facts, "transformers_pytorch": tp, "intended_pytorch": intended,
    }


def make_google_bare(root):
    folder = fresh_dir(os.path.join(root, "google-bare"))
    src = BertForSequenceClassification.from_pretrained(os.path.join(OUT, PT_CLS)).eval()
    weights = {k: v for k, v in google_arrays(src.state_dict(), set()).items() if k.startswith("bert/")}
    base = saver_write(folder, "bert_model.ckpt", weights, write_state=False, write_meta=True)
    assert base == "bert_model.ckpt"
    cfg = google_config(os.path.join(OUT, PT_CLS, "config.json"))
    write_google_config(folder, cfg)
    shutil.copy(os.path.join(OUT, PT_CLS, "vocab.txt"), folder)
    prefix, variables, values, facts = describe_bundle(folder, base)
    for k, a in weights.items():
        assert np.array_equal(values[k], a), k

    config = BertConfig.from_json_file(os.path.join(folder, "bert_config.json"))
    torch.manual_seed(3002)
    model = BertModel(config).eval()
    outcome = try_load_tf(model, config, prefix)
    assert outcome["outcome"] == "returned normally", outcome
    same, differ = compare_state(model, src.bert)
    assert not differ, differ
    feed = pt_feed()
    with torch.no_grad():
        got = model(**feed).pooler_output.numpy()
        want = src.bert(**feed).pooler_output.numpy()
    # the same call on BertForPreTraining: the bert part loads, cls.* stays as initialised
    torch.manual_seed(3003)
    pre = BertForPreTraining(config).eval()
    pre_outcome = try_load_tf(pre, config, prefix)
    loaded = [k for k in pre.state_dict() if k.startswith("bert.")
              and torch.equal(pre.state_dict()[k], src.state_dict()[k])]
    tp = {"model": "BertModel(BertConfig.from_json_file('bert_config.json')) after torch.manual_seed(3002)",
          "call": "transformers.load_tf_weights_in_bert(model, config, prefix)", **outcome,
          "why_it_works": "the leading 'bert' component is no attribute of BertModel: load_tf_weights_in_bert "
                          "logs 'Skipping' and its `continue` only skips that component (inner loop), so "
                          "bert/embeddings/... lands on model.embeddings...",
          "state_dict_equal_to_pt_seqcls_bert": f"all {len(same)} entries",
          "state_dict": state_dict_record(model),
          "logits": {"key": "pooler_output", "inputs": f"{PT_CLS}/reference.json logits", "values": got,
                     "vs_pt_seqcls_bert_max_abs_diff": max_diff(got, want)},
          "also_tried": {"model": "BertForPreTraining(config)", **pre_outcome,
                         "bert_entries_loaded": len(loaded),
                         "note": "cls.* keeps its random initialisation (no cls/ keys in a bare checkpoint)"}}
    return {
        "source": f"{PT_CLS}/model.safetensors, bert.* only",
        "writer": WRITER_TF1.format(gs="", base="bert_model.ckpt", step_arg="", meta=True,
                                    state=", write_state=False"),
        "meta_file": "bert_model.ckpt.meta: the MetaGraphDef the Saver writes (as in Google's zips); not needed "
                     "for the weights (left out of the other two Google entries to keep them small)",
        "prefix": f"google-bare/{base}", "files": files_of(folder),
        "bert_config": cfg, "counts": {"weights": len(weights), "keys": len(variables)},
        "variables": variables, "index": facts, "transformers_pytorch": tp,
    }


def tf_model(seed):
    keras_session(seed)
    return TFBertForSequenceClassification.from_pretrained(os.path.join(OUT, TF_CLS))


def tf_feed():
    feed, _ = ref_inputs()
    return {k: tf.constant(v) for k, v in feed.items()}


def marker_restore_map(prefix, variables, values, restore):
    """checkpoint key -> model variable name, as TF restores: a copy of the checkpoint whose float tensor k is
    filled with k + 1 (object graph and int keys unchanged) is restored into a fresh model by `restore`."""
    float_keys = [v["name"] for v in variables if v["dtype"] == "float32"]
    names, tensors = [], []
    for v in variables:
        names.append(v["name"])
        if v["dtype"] == "float32":
            tensors.append(tf.fill(v["shape"], float(float_keys.index(v["name"]) + 1)))
        else:
            tensors.append(tf.constant(values[v["name"]]))
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "marker")
        tf.raw_ops.SaveV2(prefix=marker, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
        model = restore(marker)
    mapping = {}
    for var in model.weights:
        a = var.numpy()
        k = int(a.flat[0]) - 1
        assert np.all(a == a.flat[0]) and 0 <= k < len(float_keys) and a.flat[0] == k + 1, var.name
        assert float_keys[k] not in mapping
        mapping[float_keys[k]] = var.name
    assert len(mapping) == len(float_keys) == len(model.weights)
    return mapping


def tf2_entry(folder, base, variables, values, facts, restore, extra):
    prefix = os.path.join(folder, base)
    graph, full, slot_count = object_graph(values)
    mapping = marker_restore_map(prefix, variables, values, restore)
    for v in variables:
        info = full.get(v["name"])
        if info is not None:
            v["full_name"] = info["full_name"]
            v["object_path"] = info["node_path"]
        if v["name"] in mapping:
            v["restores_into"] = mapping[v["name"]]
    # load back: a zeroed fresh model restored from the real checkpoint
    model = restore(prefix)
    got = model(tf_feed(), training=False).logits.numpy()
    with open(os.path.join(OUT, TF_CLS, "reference.json")) as f:
        want = json.load(f)["logits"]["logits"]
    state = {}
    ckpt_file = os.path.join(folder, "checkpoint")
    if os.path.exists(ckpt_file):
        with open(ckpt_file) as f:
            state["checkpoint_file"] = f.read().strip().splitlines()
        assert OUT not in "".join(state["checkpoint_file"])
    return {
        **extra, "prefix": os.path.relpath(prefix, os.path.dirname(folder)), "files": files_of(folder), **state,
        "object_graph": {"nodes": len(graph.nodes), "slot_variables": slot_count,
                         "keys_with_full_name": sum(1 for v in variables if "full_name" in v)},
        "variables": variables, "index": facts,
        "key_to_tf_weight": {"how": "a copy of this checkpoint with float key k filled with k+1 (tf.raw_ops.SaveV2, "
                                    "same keys, same object graph) restored the same way into a fresh model; "
                                    "each variable's value names its key",
                             "map": mapping},
        "logits": {"inputs": f"{PT_CLS}/reference.json logits (= {TF_CLS}'s)",
                   "model": "fresh TFBertForSequenceClassification.from_pretrained(tf-seqcls), every weight "
                            "zeroed, then restored from this checkpoint", "values": got,
                   "vs_tf_seqcls_reference_max_abs_diff": max_diff(got, want)},
    }


def zeroed_model(seed):
    model = tf_model(seed)
    for v in model.weights:
        v.assign(tf.zeros_like(v))
    return model


def make_keras_tf_format(root):
    folder = fresh_dir(os.path.join(root, "keras-tf-format"))
    model = tf_model(4001)
    model.save_weights(os.path.join(folder, "weights"))
    for name in ("config.json", "vocab.txt"):
        shutil.copy(os.path.join(OUT, TF_CLS, name), folder)
    prefix, variables, values, facts = describe_bundle(folder, "weights")

    def restore(p):
        m = zeroed_model(4002)
        m.load_weights(p)
        return m

    return tf2_entry(folder, "weights", variables, values, facts, restore, {
        "source": f"{TF_CLS}/tf_model.h5",
        "writer": f"TFBertForSequenceClassification.from_pretrained('{TF_CLS}').save_weights(dir + '/weights') "
                  "(tf-keras, TF format: no .h5 suffix)",
        "model_weight_names_first": [w.name for w in model.weights[:3]]})


def make_tf2_checkpoint(root):
    folder = fresh_dir(os.path.join(root, "tf2-checkpoint"))
    model = tf_model(5001)
    path = tf.train.Checkpoint(model=model).save(os.path.join(folder, "ckpt"))
    base = os.path.basename(path)
    assert base == "ckpt-1", base
    for name in ("config.json", "vocab.txt"):
        shutil.copy(os.path.join(OUT, TF_CLS, name), folder)
    prefix, variables, values, facts = describe_bundle(folder, base)

    def restore(p):
        m = zeroed_model(5002)
        tf.train.Checkpoint(model=m).restore(p).assert_existing_objects_matched()
        return m

    entry = tf2_entry(folder, base, variables, values, facts, restore, {
        "source": f"{TF_CLS}/tf_model.h5",
        "writer": f"tf.train.Checkpoint(model=TFBertForSequenceClassification.from_pretrained('{TF_CLS}'))"
                  ".save(dir + '/ckpt') -> ckpt-1"})
    entry["save_counter"] = int(values["save_counter/.ATTRIBUTES/VARIABLE_VALUE"])
    return entry


# ----------------------------------------------------------------------------------------------
# tf-ckpt-hostile/

ERROR_CODES = {getattr(tf.errors, n): n for n in dir(tf.errors)
               if n.isupper() and isinstance(getattr(tf.errors, n), int)}


def exc_info(e):
    out = {"exception": type(e).__name__, "message": first_line(e)}
    code = getattr(e, "error_code", None)
    if code is not None:
        out["error_code"] = ERROR_CODES.get(code, code)
    return out


def load_outcome(prefix):
    """What tf.train.load_checkpoint + get_tensor of every key does."""
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as e:  # noqa: BLE001 - recorded
        return {"result": "load_checkpoint raised", **exc_info(e)}
    names = sorted(reader.get_variable_to_shape_map())
    tensors, first_error = {}, None
    for name in names:
        try:
            reader.get_tensor(name)
            tensors[name] = "ok"
        except Exception as e:  # noqa: BLE001 - recorded
            tensors[name] = exc_info(e)
            first_error = first_error or tensors[name]
    if first_error is None:
        return {"result": "loads", "get_tensor": tensors}
    return {"result": "get_tensor raised", **first_error, "get_tensor": tensors}


def make_hostile(root, pt_cls):
    folder = fresh_dir(os.path.join(root, "tf-ckpt-hostile"))
    state = pt_cls.state_dict()
    arrays = google_arrays({k: state[k] for k in ("bert.pooler.dense.weight", "bert.pooler.dense.bias",
                                                  "bert.embeddings.LayerNorm.weight",
                                                  "bert.embeddings.LayerNorm.bias")}, set())
    with tempfile.TemporaryDirectory() as tmp:
        base = saver_write(tmp, "valid", arrays, global_step=GLOBAL_STEP, write_state=False)
        assert base == f"valid-{GLOBAL_STEP}"
        for ext in (".index", DATA_SUFFIX):
            shutil.copy(os.path.join(tmp, base + ext), os.path.join(folder, "valid" + ext))
    valid = os.path.join(folder, "valid")
    with open(valid + ".index", "rb") as f:
        index = f.read()
    with open(valid + DATA_SUFFIX, "rb") as f:
        data = f.read()
    layout, entries = read_sstable(valid + ".index")
    assert write_sstable(entries) == index and layout["num_data_blocks"] == 1
    blk = layout["data_blocks"][0]
    idx_h = layout["footer"]["index_handle"]
    meta_h = layout["footer"]["metaindex_handle"]
    protos = {k.decode(): tensor_bundle_pb2.BundleEntryProto.FromString(v) for k, v in entries[1:]}
    last_key = max(protos, key=lambda k: protos[k].offset)          # the tensor stored last in the data file
    kernel = "bert/pooler/dense/kernel"

    def reencode(changes, **kw):
        out = []
        for k, v in entries:
            name = k.decode()
            if name in changes:
                e = tensor_bundle_pb2.BundleEntryProto()
                e.CopyFrom(protos[name])
                changes[name](e)
                v = e.SerializeToString()
            out.append((k, v))
        return write_sstable(out, **kw)

    def flip(buf, pos, bit=0x01):
        b = bytearray(buf)
        b[pos] ^= bit
        return bytes(b)

    def with_type(buf, handle_off, handle_size, btype):
        b = bytearray(buf)
        contents = bytes(b[handle_off:handle_off + handle_size])
        b[handle_off + handle_size] = btype
        struct.pack_into("<I", b, handle_off + handle_size + 1, mask(crc32c(contents + bytes([btype]))))
        return bytes(b)

    kernel_off = protos[kernel].offset
    cases = {}

    def case(name, rule, idx=index, dat=data, write_data=True):
        with open(os.path.join(folder, name + ".index"), "wb") as f:
            f.write(idx)
        if write_data:
            with open(os.path.join(folder, name + DATA_SUFFIX), "wb") as f:
                f.write(dat)
        cases[name] = {"rule": rule,
                       "files": {n: os.path.getsize(os.path.join(folder, n)) for n in sorted(os.listdir(folder))
                                 if n.startswith(name + ".")}}

    cases["valid"] = {"rule": f"the Saver's own bundle (prefix valid-{GLOBAL_STEP} renamed to valid): "
                              f"{', '.join(sorted(protos))} and global_step; the other cases are copies of it",
                      "files": {"valid.index": len(index), "valid" + DATA_SUFFIX: len(data)}}
    case("bad-magic", "last byte of the footer magic (index file's last byte) XOR 0x01",
         idx=flip(index, len(index) - 1))
    case("short-index", f"index file cut to its first 30 bytes (< the {FOOTER_SIZE}-byte footer)",
         idx=index[:30])
    case("truncated-index", "index file without its last 20 bytes (footer incomplete: its last 48 bytes are "
                            "no footer)", idx=index[:-20])
    case("index-block-crc", f"index block trailer CRC (file offset {idx_h['offset'] + idx_h['size'] + 1}) "
                            "first byte XOR 0x01", idx=flip(index, idx_h["offset"] + idx_h["size"] + 1))
    case("metaindex-block-crc", f"metaindex block trailer CRC (file offset {meta_h['offset'] + meta_h['size'] + 1})"
                                " first byte XOR 0x01", idx=flip(index, meta_h["offset"] + meta_h["size"] + 1))
    case("data-block-crc", f"data block 0 trailer CRC (file offset {blk['offset'] + blk['size'] + 1}) first byte "
                           "XOR 0x01", idx=flip(index, blk["offset"] + blk["size"] + 1))
    case("data-block-content", "one byte inside data block 0 (offset 20, inside the first entry after the header) "
                               "XOR 0x01, block CRC left stale", idx=flip(index, 20))
    case("tensor-bytes-flipped", f"first byte of '{kernel}' in the .data file (offset {kernel_off}) XOR 0x01: its "
                                 "bytes no longer match the entry's crc32c", dat=flip(data, kernel_off))
    case("entry-crc-wrong", f"'{kernel}' entry's crc32c field XOR 1 (index re-encoded, block CRCs valid)",
         idx=reencode({kernel: lambda e: setattr(e, "crc32c", e.crc32c ^ 1)}))
    case("offset-past-end", f"'{last_key}' (stored last) entry offset += 8: offset+size runs 8 bytes past the end "
                            "of the data file (index re-encoded, CRCs valid)",
         idx=reencode({last_key: lambda e: setattr(e, "offset", e.offset + 8)}))
    case("data-truncated", "the .data file without its last 4 bytes (last tensor runs past the end)",
         dat=data[:-4])
    case("size-mismatch", f"'{kernel}' entry size -= 4 (no longer numel * 4; index re-encoded, CRCs valid)",
         idx=reencode({kernel: lambda e: setattr(e, "size", e.size - 4)}))
    case("shape-mismatch", f"'{kernel}' entry shape [32, 32] -> [32, 31] (size unchanged; index re-encoded)",
         idx=reencode({kernel: lambda e: setattr(e.shape.dim[1], "size", 31)}))
    case("data-missing", "no .data-00000-of-00001 file", write_data=False)
    case("snappy-type", "data block 0's type byte set to 1 (snappy) with its CRC recomputed: only the compression "
                        "is wrong (the contents are not snappy)",
         idx=with_type(index, blk["offset"], blk["size"], 1))
    case("snappy-valid", "index re-encoded with data block 0 as a real snappy stream (literal-only) and type 1, "
                         "handles and CRCs consistent", idx=reencode({}, data_block_type=1))
    case("unknown-compression", "data block 0's type byte set to 2 (no such compression) with its CRC recomputed",
         idx=with_type(index, blk["offset"], blk["size"], 2))
    multi = reencode({}, block_size=64)
    case("multi-block-valid", "the valid entries re-encoded with block_size 64 (TableBuilder rules): several data "
                              "blocks, a multi-entry index block; everything else consistent", idx=multi)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "m.index"), "wb") as f:
            f.write(multi)
        mlayout, mentries = read_sstable(os.path.join(tmp, "m.index"))
    assert mentries == entries and mlayout["num_data_blocks"] > 1
    cases["multi-block-valid"]["data_blocks"] = mlayout["num_data_blocks"]
    cases["multi-block-valid"]["index_layout"] = mlayout

    for name in cases:
        cases[name]["tf"] = load_outcome(os.path.join(folder, name))
    assert cases["valid"]["tf"]["result"] == "loads"
    assert cases["multi-block-valid"]["tf"]["result"] == "loads"
    return folder, cases, layout


# ----------------------------------------------------------------------------------------------

def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    for need in (PT_PRE, PT_CLS, TF_CLS):
        if not os.path.isdir(os.path.join(OUT, need)):
            sys.exit(f"{os.path.join(OUT, need)} missing: run tools/make_fixtures.py first")

    root = fresh_dir(os.path.join(OUT, "tf-ckpt"))
    entries = {
        "google-pretraining": make_google_pretraining(root),
        "google-classifier": make_google_classifier(root),
        "google-bare": make_google_bare(root),
        "keras-tf-format": make_keras_tf_format(root),
        "tf2-checkpoint": make_tf2_checkpoint(root),
    }
    assert sorted(os.listdir(root)) == sorted(entries)
    write_json(os.path.join(root, "reference.json"), to_py({
        "writer": {"script": "tools/make_tf_checkpoint_fixtures.py", "command": COMMAND, "versions": VERSIONS,
                   "sources": f"{PT_PRE} (google-pretraining), {PT_CLS} (google-classifier, google-bare), "
                              f"{TF_CLS} (keras-tf-format, tf2-checkpoint)",
                   "sha256": "of the little-endian bytes of tf.train.load_checkpoint(prefix).get_tensor(name); "
                             "for string tensors of the value's bytes",
                   "crc32c": "masked_crc32c = the BundleEntryProto field as stored; crc32c = unmasked"},
        "note": "reference.json is not a case; prefixes are relative to this folder",
        "entries": entries}))
    size = folder_size(root)
    assert size < MAX_FOLDER_BYTES, size

    pt_cls = BertForSequenceClassification.from_pretrained(os.path.join(OUT, PT_CLS)).eval()
    hostile, cases, layout = make_hostile(OUT, pt_cls)
    write_json(os.path.join(hostile, "cases.json"), {
        "writer": {"script": "tools/make_tf_checkpoint_fixtures.py", "command": COMMAND, "versions": VERSIONS,
                   "base": "valid: tf.compat.v1.train.Saver (graph mode, V2) of 4 bert/... tensors of pt-seqcls "
                           "and global_step",
                   "tf": "tf.train.load_checkpoint(prefix), then get_tensor(name) for every key in "
                         "get_variable_to_shape_map(); exception class and first message line (paths as "
                         "<fixtures>/...)"},
        "valid_index_layout": layout,
        "cases": cases})

    for folder in (root, hostile):
        for dirpath, _dirs, names in sorted(os.walk(folder)):
            for n in sorted(names):
                p = os.path.join(dirpath, n)
                print(f"{os.path.relpath(p, OUT):70s} {os.path.getsize(p):9d}")
        print(f"{os.path.relpath(folder, OUT)}: {folder_size(folder)} bytes")
    for name, c in cases.items():
        t = c["tf"]
        print(f"{name:22s} {t['result']:24s} {t.get('exception', '')} {t.get('error_code', '')} "
              f"{t.get('message', '')[:100]}")


if __name__ == "__main__":
    main()
