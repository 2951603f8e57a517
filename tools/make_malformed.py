"""Writes fixtures/malformed/: files that break one rule each, with expected.json naming the error each must give.

Run: /root/refenv/bin/python tools/make_malformed.py fixtures/malformed   (needs numpy and h5py only)
Truncations are cut from real fixtures written by the frameworks (fixtures/tf-seqcls, fixtures/pt-seqcls).
"""
import json
import os
import random
import struct
import sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/malformed"
root = os.path.dirname(os.path.abspath(out.rstrip("/")))
os.makedirs(out, exist_ok=True)
# Inputs found by `make fuzz` (fuzz-*) are kept: each is a regression file with its expected message here.
FUZZ_FINDINGS = {
    "fuzz-h5-huge-allocation.h5": "memory allocation failed",  # FuzzHDF5: libhdf5 asked for 0x800000000000a1a bytes
    # FuzzHDF5: a corrupt global heap makes libhdf5's H5HG_read copy far past its buffer (SIGSEGV inside libhdf5)
    "fuzz-h5-corrupt-global-heap.h5": "libhdf5 failed fatally while parsing",
    # FuzzHDF5: another corrupt global heap sends libhdf5's H5HG_read into an endless loop
    "fuzz-h5-heap-loop.h5": "did not finish parsing the file's structures within the time limit",
    # FuzzHDF5 (fork mode, after the guard): an object address past the end of the file, and a file that makes
    # libhdf5 allocate ~1.4 GB in a loop until the time limit stops it
    "fuzz-h5-address-overflow.h5": "memory allocation failed",  # was "addr overflow" before the memory cap
    # (now stopped at once: libhdf5's memory is capped at twice the file plus 256 MB while it parses metadata)
    "fuzz-h5-allocation-loop.h5": "memory allocation failed",
    # FuzzHDF5Types: an opaque datatype message whose tag runs past the message makes libhdf5 1.10.8's datatype
    # decoder read past its buffer (ASan: heap-buffer-overflow in H5O_msg_read); the type is then refused
    "fuzz-h5-datatype-overread.h5": "is not a numeric dataset",
    # FuzzTFCheckpoint: a block handle whose size varint is near 2^64 overflowed `size + 5` in the bounds check (trap)
    "fuzz-tf-handle-overflow.index": "lies outside the file",
    # FuzzKerasArchive: a .keras whose model.weights.h5 has a corrupt global heap (libhdf5's H5HG_read, reached
    # through an attribute read on the in-memory image): the crash guard turns the SIGSEGV into exit 3
    "fuzz-keras-global-heap.keras": "libhdf5 failed fatally while parsing",
}
for name in os.listdir(out):
    if name in FUZZ_FINDINGS:
        continue
    path = os.path.join(out, name)
    if os.path.isdir(path):
        for inner in os.listdir(path):
            os.remove(os.path.join(path, inner))
        os.rmdir(path)
    else:
        os.remove(path)
expected = dict(FUZZ_FINDINGS)


def safetensors(name, header, data=b"", raw_header=None, length=None, expect=""):
    body = raw_header if raw_header is not None else json.dumps(header).encode()
    n = len(body) if length is None else length
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", n) + body + data)
    expected[name] = expect


good = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
with open(os.path.join(out, "st-empty.safetensors"), "wb") as f:
    f.write(b"")
expected["st-empty.safetensors"] = "empty"
with open(os.path.join(out, "st-four-bytes.safetensors"), "wb") as f:
    f.write(b"\x10\x00\x00\x00")
expected["st-four-bytes.safetensors"] = "not a checkpoint bertinspect reads"
safetensors("st-header-too-large.safetensors", None, raw_header=b"{}", length=100_000_001, expect="over the 100,000,000-byte limit")
safetensors("st-header-beyond-file.safetensors", None, raw_header=b'{"a":1}', length=4096, expect="but the file has only")
safetensors("st-not-utf8.safetensors", None, raw_header=b'{"\xff\xfe": 1}', expect="not valid UTF-8")
safetensors("st-not-object.safetensors", None, raw_header=b'[1, 2, 3]', expect="does not start with '{'")
safetensors("st-not-json.safetensors", None, raw_header=b'{"a": {"dtype": "F32",,}}', expect="not valid JSON")
safetensors("st-duplicate-key.safetensors", None,
            raw_header=b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}',
            data=b"\0" * 8, expect="lists 'a' twice")
safetensors("st-metadata-not-string.safetensors", {"__metadata__": {"format": 1}, **good}, b"\0" * 8, expect="__metadata__ is invalid")
safetensors("st-unknown-dtype.safetensors", {"a": {"dtype": "F31", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, expect="unknown dtype 'F31'")
safetensors("st-negative-shape.safetensors", {"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, expect="invalid shape")
safetensors("st-float-shape.safetensors", {"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}, b"\0" * 8, expect="invalid shape")
safetensors("st-overflow-shape.safetensors", {"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, b"\0" * 8, expect="invalid shape")
# Integers of more than 18 digits, which overflowed the direct header scan's accumulator (a trap, found by FuzzSafetensors).
safetensors("st-huge-dimension.safetensors", {"a": {"dtype": "F32", "shape": [10**20 - 1], "data_offsets": [0, 8]}}, b"\0" * 8, expect="invalid shape")
safetensors("st-huge-offset.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8 * 10**20]}}, b"\0" * 8, expect="'data_offsets' must be")
safetensors("st-missing-offsets.safetensors", {"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8, expect="'data_offsets' must be")
safetensors("st-offsets-reversed.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, expect="end before they begin")
safetensors("st-offset-gap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, expect="gap or overlap")
safetensors("st-offset-overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, expect="gap or overlap")
safetensors("st-size-mismatch.safetensors", {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, expect="need 12")
safetensors("st-trailing-bytes.safetensors", good, b"\0" * 12, expect="the data buffer is 12 bytes but the tensors cover 8")
safetensors("st-data-short.safetensors", good, b"\0" * 4, expect="the data buffer is 4 bytes but the tensors cover 8")
safetensors("st-deep-json.safetensors", None, raw_header=b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", expect="nesting deeper")

# Truncations of real checkpoints at several offsets.
for source, stem in [("tf-seqcls/tf_model.h5", "trunc-tf_model"), ("pt-seqcls/model.safetensors", "trunc-model")]:
    data = open(os.path.join(root, source), "rb").read()
    ext = ".h5" if source.endswith(".h5") else ".safetensors"
    for cut in [7, 100, 1000, len(data) // 2, len(data) - 1]:
        name = f"{stem}-{cut}{ext}"
        with open(os.path.join(out, name), "wb") as f:
            f.write(data[:cut])
        expected[name] = ""

rng = random.Random(1234)
with open(os.path.join(out, "random-bytes.bin"), "wb") as f:
    f.write(bytes(rng.randrange(256) for _ in range(4096)))
expected["random-bytes.bin"] = "not a checkpoint bertinspect reads"
with open(os.path.join(out, "hdf5-signature-only.h5"), "wb") as f:
    f.write(b"\x89HDF\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2000)))
expected["hdf5-signature-only.h5"] = "HDF5 call H5Fopen failed"


def keras_file(name, build, expect):
    with h5py.File(os.path.join(out, name), "w", libver="earliest") as f:
        build(f)
    expected[name] = expect


def dense_group(f, layer, weights):
    group = f.create_group(layer)
    group.attrs["weight_names"] = [w.encode() for w in weights]
    return group


def external_link(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g["dense"] = h5py.ExternalLink("/etc/passwd", "/secret")


def soft_link(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g.create_dataset("real/kernel:0", data=np.zeros((2, 2), "float32"))
    g["dense"] = h5py.SoftLink("/dense/real")


def compressed(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g.create_dataset("dense/kernel:0", data=np.zeros((64, 64), "float32"), compression="gzip", chunks=(8, 8))


def string_weight(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g.create_dataset("dense/kernel:0", data=np.array([b"not", b"numbers"]))


def missing_group(f):
    f.attrs["layer_names"] = [b"dense", b"ghost"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g.create_dataset("dense/kernel:0", data=np.zeros((2, 2), "float32"))


def missing_weight(f):
    f.attrs["layer_names"] = [b"dense"]
    dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"]).create_dataset("dense/kernel:0", data=np.zeros((2, 2), "float32"))


def no_layer_list(f):
    f.create_dataset("x", data=np.zeros(4, "float32"))


def external_storage(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    g.create_dataset("dense/kernel:0", shape=(2, 2), dtype="float32", external=[("/etc/hostname", 0, 16)])


def not_bert(f):
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
    g.create_dataset("dense/kernel:0", data=np.zeros((4, 2), "float32"))
    g.create_dataset("dense/bias:0", data=np.zeros(2, "float32"))


# Datasets whose declared size the file does not back: the reader must compare shape x type size with the bytes
# the file really stores before it allocates or reads anything.
def unallocated_chunks(f):  # chunked 4096x4096 + 4096 float32 (64 MB declared), no chunk ever written: file is a few KB
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
    g.create_dataset("dense/kernel:0", shape=(4096, 4096), dtype="float32", chunks=(64, 64))
    g.create_dataset("dense/bias:0", shape=(4096,), dtype="float32", chunks=(64,))


def partial_chunks(f):  # as unallocated_chunks, but one 64x64 chunk of the kernel is written (16 KB of 64 MB stored)
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
    kernel = g.create_dataset("dense/kernel:0", shape=(4096, 4096), dtype="float32", chunks=(64, 64))
    kernel[0:64, 0:64] = 1  # the whole first row block (64 chunks, 1 MB) would not fit the 200 KB budget
    g.create_dataset("dense/bias:0", shape=(4096,), dtype="float32", chunks=(64,))


def contiguous_unwritten(f):  # contiguous 1024x1024 float32 (4 MB declared) never written: late allocation stores 0 bytes
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0"])
    kernel = g.create_dataset("dense/kernel:0", shape=(1024, 1024), dtype="float32")
    assert kernel.id.get_storage_size() == 0, "libhdf5 allocated the contiguous dataset early"


# Datatypes that are 4-byte floats or integers by size and class but do not mean what an IEEE float32 / plain integer
# means: reading their bytes as float32 / int would give wrong numbers. Written through the low-level API (h5py's
# high-level one only takes numpy dtypes); libhdf5 converts the data into the odd type on write.
def raw_dataset(group, name, datatype, data):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)  # no timestamps: the file comes out byte-identical on every run
    dataset = h5py.h5d.create(group.id, name.encode(), datatype, h5py.h5s.create_simple(data.shape), dcpl=dcpl)
    dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, data)


def odd_float(datatype):
    def build(f):
        f.attrs["layer_names"] = [b"dense"]
        g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
        g.create_group("dense")
        raw_dataset(g, "dense/kernel:0", datatype, np.array([[1.0, -2.0], [0.5, 3.0]], "float32"))
        raw_dataset(g, "dense/bias:0", datatype, np.array([0.25, -1.0], "float32"))
    return build


def float_type(change):
    datatype = h5py.h5t.IEEE_F32LE.copy()
    change(datatype)
    return datatype


def integer_padding(f):  # bias is a 4-byte integer with only 16 bits of precision (the other 16 are padding)
    f.attrs["layer_names"] = [b"dense"]
    g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
    g.create_dataset("dense/kernel:0", data=np.ones((2, 2), "float32"))
    datatype = h5py.h5t.STD_I32LE.copy()
    datatype.set_precision(16)
    raw_dataset(g, "dense/bias:0", datatype, np.array([3, -4], "int32"))


def shared_storage(name, expect):
    # Two contiguous 64 KB datasets whose layout messages point at the same data address. Written normally, then
    # the bias's address is patched to the kernel's and the bias's own data (the file's last bytes) cut off, with the
    # superblock's end-of-file address moved to match: each dataset alone fits the file, both together do not.
    path = os.path.join(out, name)
    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["layer_names"] = [b"dense"]
        g = dense_group(f, "dense", ["dense/kernel:0", "dense/bias:0"])
        kernel = g.create_dataset("dense/kernel:0", data=np.full((128, 128), 1.0, "float32"))
        bias = g.create_dataset("dense/bias:0", data=np.full((128 * 128,), 2.0, "float32"))
        first, second, size = kernel.id.get_offset(), bias.id.get_offset(), bias.id.get_storage_size()
    data = bytearray(open(path, "rb").read())
    assert data[8] == 0 and struct.unpack_from("<Q", data, 40)[0] == len(data), "expected a version-0 superblock"
    assert second + size == len(data), "the bias's data is not at the end of the file"
    old = struct.pack("<Q", second)
    assert data.count(old) == 1, "the bias's data address is not unique in the file"
    data[data.index(old):data.index(old) + 8] = struct.pack("<Q", first)
    del data[second:]
    struct.pack_into("<Q", data, 40, len(data))  # superblock v0: end-of-file address at byte 40
    with open(path, "wb") as f:
        f.write(data)
    expected[name] = expect


keras_file("h5-external-link.h5", external_link, "is an external link to another file")
keras_file("h5-soft-link.h5", soft_link, "is a soft link")
keras_file("h5-compressed.h5", compressed, "compressed or filtered")
keras_file("h5-string-weight.h5", string_weight, "is not a numeric dataset")
keras_file("h5-missing-group.h5", missing_group, "layer 'ghost' is listed but has no group")
keras_file("h5-missing-weight.h5", missing_weight, "which the file does not hold")
keras_file("h5-no-layer-list.h5", no_layer_list, "not a Keras or transformers checkpoint")
keras_file("h5-external-storage.h5", external_storage, "keeps its data in external files")
keras_file("h5-not-bert.h5", not_bert, "no BERT word embeddings")
keras_file("h5-unallocated-chunks.h5", unallocated_chunks, "but the file stores only")
keras_file("h5-partial-chunks.h5", partial_chunks, "but the file stores only")
keras_file("h5-contiguous-unwritten.h5", contiguous_unwritten, "but the file stores only")
# A float32 whose exponent bias is 100, not 127: read as IEEE, every value comes out 2^27 times too small.
keras_file("h5-float-ebias.h5", odd_float(float_type(lambda t: t.set_ebias(100))), "is not an IEEE")
# A float32 with the bit fields permuted: sign at 31, exponent at bits 0-7, mantissa at bits 8-30.
keras_file("h5-float-fields.h5", odd_float(float_type(lambda t: t.set_fields(31, 0, 8, 8, 23))), "is not an IEEE")
# A float32 with no implied leading mantissa bit (normalization NONE).
keras_file("h5-float-norm.h5", odd_float(float_type(lambda t: t.set_norm(h5py.h5t.NORM_NONE))), "is not an IEEE")
keras_file("h5-integer-padding.h5", integer_padding, "is not a plain")
shared_storage("h5-shared-storage.h5", "more than the file")

# Shard indexes whose names try to leave the folder, or point nowhere.
def index(name, weight_map, raw=None, expect=""):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        f.write(raw if raw is not None else json.dumps({"metadata": {"total_size": 8}, "weight_map": weight_map}))
    expected[name] = expect


index("index-parent-dir", {"a": "../pt-seqcls/model.safetensors"}, expect="leaves the checkpoint's folder")
index("index-absolute", {"a": "/etc/passwd"}, expect="leaves the checkpoint's folder")
index("index-dotdot", {"a": ".."}, expect="leaves the checkpoint's folder")
index("index-missing-shard", {"a": "model-00001-of-00001.safetensors"}, expect="does not exist")
index("index-not-json", None, raw='{"weight_map": {"a": "x.safetensors",}}', expect="invalid shard index")
index("index-no-map", None, raw='{"metadata": {}}', expect="'weight_map' is missing")

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(dict(sorted(expected.items())), f, indent=1)
print(f"{len(expected)} malformed inputs in {out}")
