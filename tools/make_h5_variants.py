"""Writes fixtures/h5-*/: legal rewrites of fixtures/tf-seqcls/tf_model.h5 that other HDF5 writers produce, same weights.

Run: python3 tools/make_h5_variants.py fixtures   (needs numpy and h5py only; run after tools/make_fixtures.py)
Each folder gets tf_model.h5 plus copies of tf-seqcls's config.json, vocab.txt, tokenizer_config.json,
special_tokens_map.json and reference.json (no golden files: the weights, and so the outputs, are tf-seqcls's).

- h5-fixed-strings/: `layer_names` and every non-empty `weight_names` rewritten as fixed-length NULL-padded byte strings
  (numpy `S` arrays, as older h5py/Keras stored them); the longest name fills its slot, so it has no terminating NUL.
  The empty `weight_names` stay as Keras writes them (empty float64 arrays). Datasets are untouched (edited in place).
- h5-big-endian/: the file rebuilt group by group with every float32 dataset stored big-endian (`>f4`), same values,
  names and attributes.
- h5-many-attributes/: 9,000 extra int32 attributes `note_0000`..`note_8999` on the root group.
"""
import os
import shutil
import sys

import h5py
import numpy as np

fixtures = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
source_folder = os.path.join(fixtures, "tf-seqcls")
source = os.path.join(source_folder, "tf_model.h5")
SIDECARS = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "reference.json"]


def folder(name):
    path = os.path.join(fixtures, name)
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    for sidecar in SIDECARS:
        shutil.copyfile(os.path.join(source_folder, sidecar), os.path.join(path, sidecar))
    return os.path.join(path, "tf_model.h5")


def datasets(f):
    found = {}
    f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def same_datasets(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        assert sorted(da) == sorted(db), "dataset names differ"
        for name in da:
            assert da[name].shape == db[name].shape and np.array_equal(da[name], db[name]), name
    return len(da)


def fixed_strings():
    # Keras 2 with h5py 2.x stored name lists as numpy `S` arrays: fixed-length strings, NULL-padded to the longest.
    path = folder("h5-fixed-strings")
    shutil.copyfile(source, path)
    with h5py.File(path, "r+") as f:
        for group in [f] + [f[name] for name in f]:
            key = "layer_names" if group == f else "weight_names"
            names = [n.encode() if isinstance(n, str) else bytes(n) for n in group.attrs[key]]
            if names:
                group.attrs[key] = np.array(names, dtype="S")
    with h5py.File(path, "r") as f:
        for group in [f] + [f[name] for name in f]:
            key = "layer_names" if group == f else "weight_names"
            datatype = h5py.h5a.open(group.id, key.encode()).get_type()
            if len(group.attrs[key]) == 0:
                continue
            assert isinstance(datatype, h5py.h5t.TypeStringID) and not datatype.is_variable_str()
            assert datatype.get_strpad() == h5py.h5t.STR_NULLPAD
            assert max(len(n) for n in group.attrs[key]) == datatype.get_size(), "the longest name must have no NUL"
            print(f"  {group.name} {key}: fixed {datatype.get_size()} bytes, NULLPAD, {len(group.attrs[key])} names")
    return path


def copy_attributes(src, dst):
    for name in src.attrs:
        dst.attrs.create(name, src.attrs[name], dtype=src.attrs.get_id(name).dtype)


def big_endian():
    path = folder("h5-big-endian")
    with h5py.File(source, "r") as src, h5py.File(path, "w", libver="earliest") as dst:
        copy_attributes(src, dst)

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                copy_attributes(obj, dst.create_group(name))
            else:
                data = obj[()]
                if data.dtype == np.float32:
                    data = data.astype(">f4")
                copy_attributes(obj, dst.create_dataset(name, data=data))

        src.visititems(copy)
    with h5py.File(source, "r") as src, h5py.File(path, "r") as dst:
        def check(name, obj):
            other = dst[name]
            assert dict(obj.attrs).keys() == dict(other.attrs).keys(), name
            for key in obj.attrs:
                assert np.array_equal(obj.attrs[key], other.attrs[key]), (name, key)
                assert obj.attrs.get_id(key).get_type() == other.attrs.get_id(key).get_type(), (name, key)
            if isinstance(obj, h5py.Dataset):
                assert other.dtype == np.dtype(">f4") and np.array_equal(obj[()], other[()]), name
        src.visititems(check)
        assert list(src.attrs) == list(dst.attrs)
        for key in src.attrs:
            assert src.attrs.get_id(key).get_type() == dst.attrs.get_id(key).get_type(), key
    print(f"  {same_datasets(source, path)} datasets equal, all >f4")
    return path


def many_attributes():
    path = folder("h5-many-attributes")
    shutil.copyfile(source, path)
    with h5py.File(path, "r+") as f:
        for i in range(9000):
            f.attrs[f"note_{i:04d}"] = np.int32(i)
    with h5py.File(path, "r") as f:
        assert len(f.attrs) == 9003 and all(f.attrs[f"note_{i:04d}"] == i for i in range(9000))
    assert os.path.getsize(path) < 1 << 20, os.path.getsize(path)
    print(f"  {len(datasets(h5py.File(path, 'r')))} datasets, 9,003 root attributes")
    return path


for make in [fixed_strings, big_endian, many_attributes]:
    written = make()
    assert same_datasets(source, written)
    print(f"{written}: {os.path.getsize(written)} bytes")
