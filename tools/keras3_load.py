#!/usr/bin/env python3
"""Checks that Keras 3's own loader accepts a `.weights.h5` file for the keras3/ fixture's model.

    CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/keras3_load.py PATH.weights.h5

Keras 3 (the `keras` package, TensorFlow backend): do NOT set TF_USE_LEGACY_KERAS. Rebuilds the
subclassed CNN of tools/fixture_keras3.py (its `build`, with the sizes recorded in
fixtures/keras3/reference.json), calls `model.load_weights(PATH)`, does the same with
fixtures/keras3/model.weights.h5, and prints one JSON line:

    {"loaded": true, "max_abs_diff_vs_fixture": X}      (X over every weight; exit 0)
    {"loaded": false, "error": "<first line>"}          (exit 1)

    CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/keras3_load.py --archive PATH.keras NAME

opens a whole .keras archive with keras.saving.load_model (the subclassed fixture class registered, as
tools/make_keras_archive_fixtures.py registers it; safe_mode stays on) and compares it with the archive NAME of
fixtures/keras3-archive/reference.json: one JSON line with "loaded", "frozen" (the layers Keras loads with
trainable = False) and "max_abs_diff_vs_reference" (of model.predict on the reference's input_ids).
"""

import json
import os
import sys

os.environ.pop("TF_USE_LEGACY_KERAS", None)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(os.path.dirname(HERE), "fixtures", "keras3")


def first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def archive(path, name):
    try:
        sys.path.insert(0, HERE)
        import numpy as np
        import keras
        import make_keras_archive_fixtures  # noqa: F401 - registers Custom>CustomIMDBModel, as the fixtures were saved

        with open(os.path.join(os.path.dirname(HERE), "fixtures", "keras3-archive", "reference.json")) as f:
            reference = json.load(f)
        model = keras.saving.load_model(path)
        got = model.predict(np.asarray(reference["input_ids"], dtype=np.int32), verbose=0)
        diff = float(np.max(np.abs(got - np.asarray(reference["archives"][name]["predictions"]))))
        frozen = [layer.name for layer in model.layers if not layer.trainable]
    except Exception as e:  # noqa: BLE001 - any failure to load is the answer
        print(json.dumps({"loaded": False, "error": first_line(e)}))
        return 1
    print(json.dumps({"loaded": True, "frozen": frozen, "max_abs_diff_vs_reference": diff}))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--archive":
        return archive(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        sys.path.insert(0, HERE)
        import numpy as np
        import fixture_keras3  # the Keras 3 model definition and builder of the keras3/ fixture

        _, args = fixture_keras3.read_fixture(FIXTURE)

        def loaded(p, seed):
            if not os.path.isfile(p):
                raise FileNotFoundError(f"no such file: {p}")
            m = fixture_keras3.build(args, seed, False)
            m.load_weights(p)
            return m

        model = loaded(path, 11)
        fixture = loaded(os.path.join(FIXTURE, "model.weights.h5"), 12)
        a, b = model.weights, fixture.weights
        if len(a) != len(b):
            raise ValueError(f"{len(a)} weights vs {len(b)} in the fixture model")
        diff = 0.0
        for x, y in zip(a, b):
            x, y = np.asarray(x.numpy()), np.asarray(y.numpy())
            if x.shape != y.shape:
                raise ValueError(f"shape {x.shape} vs {y.shape}")
            diff = max(diff, float(np.max(np.abs(x - y))) if x.size else 0.0)
    except Exception as e:  # noqa: BLE001 - any failure to load is the answer
        print(json.dumps({"loaded": False, "error": first_line(e)}))
        return 1
    print(json.dumps({"loaded": True, "max_abs_diff_vs_fixture": diff}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
