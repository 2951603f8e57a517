#!/usr/bin/env python3
"""Writes fixtures/onnx-torch/ (BERT graphs exported by torch.onnx) and fixtures/onnx-hostile/ (ONNX files a
safe reader must refuse).

    nice -n 19 /root/ortenv/bin/python tools/make_onnx_fixtures.py fixtures

Environment: /root/ortenv (tools/requirements-ort.txt: torch 2.13.0+cpu, transformers 4.57.6, onnx 1.23.2,
onnxscript, onnxruntime 1.32.0, safetensors, numpy). Run it after tools/make_fixtures.py: it reads
fixtures/pt-seqcls and fixtures/pt-base (model.safetensors, config.json, golden.json) and deletes and rewrites
only the folders in OWNED.

onnx-torch/ (see its README.md):
- torchscript/  pt-seqcls's BertForSequenceClassification, torch.onnx.export(dynamo=False, opset_version=17):
                one self-contained model.onnx.
- dynamo/       the same model, torch.onnx.export with the dynamo exporter's defaults (opset 20, optimize,
                external data): model.onnx + model.onnx.data.
- base/         pt-base's BertModel, dynamo=False, opset 17: outputs last_hidden_state, pooler_output.
- fresh-hf/     a freshly initialised BertForSequenceClassification (vocab 100, seed 0: biases exactly 0,
                LayerNorm gammas exactly 1) saved with save_pretrained, plus golden.json written by PyTorch.
- fresh-torchscript/, fresh-dynamo/  its two exports: identical initializers are deduplicated, and the dynamo
                optimizer drops the all-zero Gemm biases altogether.
Inputs input_ids, attention_mask, token_type_ids (int64, dynamic "batch" / "sequence" axes). Each export
folder has reference.json: export call, files, ir_version, opset imports, inputs/outputs, op histogram, every
initializer (name, dtype, dims, storage, sha256, the HF tensors it equals as stored or transposed, its
consumers with the module scope of each, and the HF name that consumer scope implies), the reverse map per
HF tensor, and onnxruntime's outputs on the golden inputs with their max difference from the golden.

onnx-hostile/ (see its README.md and cases.json): one small model per rule, built with onnx.helper where
protobuf can express the damage and as raw bytes where it cannot; two symlinks (git stores them as links).
What onnxruntime (InferenceSession + run) and the onnx library (onnx.load + checker.check_model(path,
full_check=True)) do with each file is recorded from child processes (timeout, 8 GiB address-space limit),
run on a copy of the folder in a temporary directory in which every out-of-folder target exists
(outside.bin, pt-seqcls/model.safetensors), so a refusal is the reader's own check, not a missing file.
"""
import collections
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import fresh_folder, to_py, varint, write_json  # noqa: E402

OWNED = ["onnx-torch", "onnx-hostile"]
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
FRESH_CONFIG = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=48, max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu",
                    layer_norm_eps=1e-12, initializer_range=0.02, num_labels=2)
CHILD_TIMEOUT = 60


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def versions():
    import onnx
    import onnxruntime
    import onnxscript
    import safetensors
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "onnx": onnx.__version__,
            "onnxscript": onnxscript.__version__, "onnxruntime": onnxruntime.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------- exports

def torch_inputs(golden):
    import torch

    return {k: torch.tensor(golden["inputs"][k], dtype=torch.int64) for k in INPUTS}


def export_torchscript(model, path, inputs, output_names):
    import torch

    axes = {k: {0: "batch", 1: "sequence"} for k in INPUTS}
    for name in output_names:
        axes[name] = {0: "batch", 1: "sequence"} if name == "last_hidden_state" else {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(inputs[k] for k in INPUTS), path, dynamo=False, opset_version=17,
                          input_names=INPUTS, output_names=output_names, dynamic_axes=axes)
    return ("torch.onnx.export(model, (input_ids, attention_mask, token_type_ids), 'model.onnx', dynamo=False, "
            f"opset_version=17, input_names={INPUTS}, output_names={output_names}, "
            f"dynamic_axes={json.dumps(axes)})")


def export_dynamo(model, path, inputs, output_names):
    import torch

    batch = torch.export.Dim("batch")
    seq = torch.export.Dim("sequence", max=64)
    shapes = {k: {0: batch, 1: seq} for k in INPUTS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (), path, kwargs=dict(inputs), input_names=INPUTS, output_names=output_names,
                          dynamic_shapes=shapes)
    return ("torch.onnx.export(model, (), 'model.onnx', kwargs={input_ids, attention_mask, token_type_ids}, "
            f"input_names={INPUTS}, output_names={output_names}, dynamic_shapes={{each input: "
            "{0: Dim('batch'), 1: Dim('sequence', max=64)}}) (dynamo=True, opset 20, optimize=True and "
            "external_data=True are the defaults)")


# ------------------------------------------------------------------------------------------ description

def scope_of(node):
    """The HF module path of a node: from the dynamo `namespace` metadata or the TorchScript node name."""
    for prop in node.metadata_props:
        if prop.key == "namespace":
            modules = []
            for part in prop.value.split("/"):
                name, _, cls = part.partition(": ")
                if name and not cls.startswith("aten.") and not cls.startswith("_empty_nn_module"):
                    modules.append(name)
            return modules[-1] if modules else ""
    if node.name.startswith("/"):
        return ".".join(node.name.strip("/").split("/")[:-1])
    return ""


def implied_name(node, index, scope):
    """The HF parameter name a consumer's scope implies for the initializer at input `index`."""
    if not scope:
        return None
    op = node.op_type
    if op == "Gather" and index == 0:
        return scope + ".weight"
    if op == "LayerNormalization":
        return scope + (".weight" if index == 1 else ".bias" if index == 2 else "")
    if op == "MatMul" and index == 1:
        return scope + ".weight"
    if op == "Gemm":
        return scope + (".weight" if index == 1 else ".bias" if index == 2 else "")
    if op == "Add":
        return scope + ".bias"
    return None


def onnx_dtype_name(code):
    import onnx

    return onnx.TensorProto.DataType.Name(code)


def value_info_json(vi):
    t = vi.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]
    return {"name": vi.name, "elem_type": onnx_dtype_name(t.elem_type), "shape": dims}


def hf_matches(arr, hf):
    out = []
    for name, ref in hf.items():
        if ref.dtype != arr.dtype:
            continue
        if ref.shape == arr.shape and np.array_equal(ref, arr):
            out.append({"name": name, "layout": "as stored"})
        elif ref.ndim == 2 and ref.T.shape == arr.shape and np.array_equal(ref.T, arr):
            out.append({"name": name, "layout": "transposed"})
    return out


def ort_run(path, feed):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feed)))


def describe_export(folder, call, exporter, source, hf_path, golden_path, golden):
    """reference.json for one export folder."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import load_file

    path = os.path.join(folder, "model.onnx")
    model = onnx.load(path, load_external_data=False)
    hf = load_file(hf_path)
    consumers = collections.defaultdict(list)
    for node in model.graph.node:
        scope = scope_of(node)
        for i, name in enumerate(node.input):
            consumers[name].append((node, i, scope))

    def uses_of(name, via=None, seen=()):
        """Consumers of `name`, following Identity nodes (TorchScript's deduplicated initializers)."""
        out = []
        for node, i, scope in consumers.get(name, []):
            use = {"node": node.name, "op": node.op_type, "input": i, "scope": scope}
            if via:
                use["via_identity"] = via
            out.append((use, node, i, scope))
            if node.op_type == "Identity" and node.output[0] not in seen:
                out += uses_of(node.output[0], node.output[0], seen + (node.output[0],))
        return out

    inits = []
    by_value = {name: [] for name in hf}
    by_scope = {name: [] for name in hf}
    for t in model.graph.initializer:
        arr = numpy_helper.to_array(t, base_dir=folder)
        entry = {"name": t.name, "dtype": onnx_dtype_name(t.data_type), "dims": list(t.dims)}
        if t.data_location == onnx.TensorProto.EXTERNAL:
            entry["storage"] = "external"
            entry["external_data"] = {kv.key: kv.value for kv in t.external_data}
        else:
            entry["storage"] = "raw_data" if t.HasField("raw_data") else "typed field"
        entry["sha256"] = sha256(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
        matches = hf_matches(arr, hf)
        entry["hf"] = matches
        for m in matches:
            by_value[m["name"]].append({"initializer": t.name, "layout": m["layout"]})
        if not matches and arr.size <= 16:
            entry["value"] = arr.tolist() if arr.dtype.kind != "f" else to_py(arr)
        uses, implied, aliases = [], [], []
        for use, node, i, scope in uses_of(t.name):
            uses.append(use)
            if node.op_type == "Identity":
                aliases.append(node.output[0])
            name = implied_name(node, i, scope)
            if name and name not in implied:
                implied.append(name)
        entry["identity_aliases"] = aliases
        entry["consumers"] = uses
        entry["hf_by_consumer_scope"] = implied
        layouts = {m["name"]: m["layout"] for m in matches}
        for name in implied:
            if name in by_scope:
                by_scope[name].append({"initializer": t.name, "layout": layouts.get(name, "value differs")})
        inits.append(entry)
    reverse = {name: {"by_value": by_value[name], "by_consumer_scope": by_scope[name]} for name in hf}

    # HF tensors absent from the initializers: look at Constant nodes too.
    constants = {}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    constants[node.output[0]] = numpy_helper.to_array(a.t)
    absent = {}
    for name, found in reverse.items():
        if found["by_consumer_scope"]:
            continue
        in_constants = [c for c, arr in constants.items() if hf_matches(arr, {name: hf[name]})]
        absent[name] = {"dtype": str(hf[name].dtype), "shape": list(hf[name].shape),
                        "all_zero": bool(not hf[name].any()),
                        "equal_initializers": [f["initializer"] for f in found["by_value"]],
                        "equal_constant_nodes": in_constants}
    summary = {
        "initializers": len(inits),
        "hf_as_stored": sum(1 for i in inits if any(m["layout"] == "as stored" for m in i["hf"])),
        "hf_transposed": sum(1 for i in inits if any(m["layout"] == "transposed" for m in i["hf"])),
        "not_hf": [i["name"] for i in inits if not i["hf"]],
        "shared_by_several_hf_tensors": {i["name"]: i["hf_by_consumer_scope"] for i in inits
                                         if len(i["hf_by_consumer_scope"]) > 1},
        "hf_tensors": len(hf),
        "hf_without_initializer": sorted(absent),
        "scope_names_match_values": all(set(i["hf_by_consumer_scope"]) <= {m["name"] for m in i["hf"]}
                                        for i in inits),
    }

    feed = {i.name: np.asarray(golden["inputs"][i.name], dtype=np.int64) for i in model.graph.input}
    outputs = ort_run(path, feed)
    mask = np.asarray(golden["inputs"]["attention_mask"])
    diffs = {}
    for name, got in outputs.items():
        if name in golden["outputs"]:
            d = np.abs(got - np.asarray(golden["outputs"][name], dtype=np.float32))
            diffs[name] = float((d[mask == 1] if name == "last_hidden_state" else d).max())

    files = {}
    for name in sorted(os.listdir(folder)):
        if name != "reference.json":
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            files[name] = {"bytes": len(data), "sha256": sha256(data)}
    hist = collections.Counter(n.op_type if n.domain == "" else f"{n.domain}:{n.op_type}" for n in model.graph.node)
    constant_nodes = sum(1 for n in model.graph.node if n.op_type == "Constant")
    ref = {
        "writer": versions(),
        "exporter": exporter,
        "source": source,
        "export_call": call,
        "files": files,
        "ir_version": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}",
        "opset_import": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "inputs": [value_info_json(v) for v in model.graph.input],
        "outputs": [value_info_json(v) for v in model.graph.output],
        "node_count": len(model.graph.node),
        "constant_nodes": constant_nodes,
        "ops": dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))),
        "initializer_count": len(inits),
        "summary": summary,
        "initializers": inits,
        "hf_tensors": reverse,
        "hf_absent": absent,
        "ort": {"golden": golden_path, "outputs": to_py(outputs), "max_abs_diff_vs_golden": diffs},
    }
    write_json(os.path.join(folder, "reference.json"), ref)
    return ref


# ------------------------------------------------------------------------------------------------ fresh

def fresh_golden(model, seqcls_golden):
    import torch

    ids = []
    for row in seqcls_golden["inputs"]["input_ids"]:
        ids.append([0 if v == 0 else (v % 100 or 3) for v in row])
    inputs = {"input_ids": ids, "attention_mask": seqcls_golden["inputs"]["attention_mask"],
              "token_type_ids": seqcls_golden["inputs"]["token_type_ids"]}
    t = {k: torch.tensor(v, dtype=torch.int64) for k, v in inputs.items()}
    with torch.no_grad():
        logits = model(**t).logits
        base = model.bert(**t)
    return {
        "schema": "bertinspect.golden/1",
        "inputs": inputs,
        "outputs": {"logits": to_py(logits), "pooler_output": to_py(base.pooler_output),
                    "last_hidden_state": to_py(base.last_hidden_state)},
        "tolerance": {"atol": 1e-4, "rtol": 1e-4},
        "writer": f"torch {torch.__version__} / transformers {__import__('transformers').__version__}",
        "note": "input_ids are pt-seqcls/golden.json's modulo 100 (vocab_size 100); the model is freshly "
                "initialised (torch.manual_seed(0)): every bias 0, every LayerNorm gamma 1.",
    }


def make_onnx_torch(root):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel

    out = fresh_folder(os.path.join(root, "onnx-torch"))
    seqcls_dir = os.path.join(root, "pt-seqcls")
    base_dir = os.path.join(root, "pt-base")
    seqcls_golden = load_json(os.path.join(seqcls_dir, "golden.json"))
    base_golden = load_json(os.path.join(base_dir, "golden.json"))
    refs = {}

    seqcls = BertForSequenceClassification.from_pretrained(seqcls_dir).eval()
    ins = torch_inputs(seqcls_golden)
    for exporter, fn in (("torchscript", export_torchscript), ("dynamo", export_dynamo)):
        folder = fresh_folder(os.path.join(out, exporter))
        call = fn(seqcls, os.path.join(folder, "model.onnx"), ins, ["logits"])
        refs[exporter] = describe_export(folder, call, exporter, "pt-seqcls", os.path.join(seqcls_dir, "model.safetensors"),
                                         "pt-seqcls/golden.json", seqcls_golden)

    base = BertModel.from_pretrained(base_dir).eval()
    folder = fresh_folder(os.path.join(out, "base"))
    call = export_torchscript(base, os.path.join(folder, "model.onnx"), torch_inputs(base_golden),
                              ["last_hidden_state", "pooler_output"])
    refs["base"] = describe_export(folder, call, "torchscript", "pt-base", os.path.join(base_dir, "model.safetensors"),
                                   "pt-base/golden.json", base_golden)

    torch.manual_seed(0)
    fresh = BertForSequenceClassification(BertConfig(**FRESH_CONFIG)).eval()
    hf_dir = fresh_folder(os.path.join(out, "fresh-hf"))
    fresh.save_pretrained(hf_dir, safe_serialization=True)
    os.chmod(os.path.join(hf_dir, "model.safetensors"), 0o644)
    golden = fresh_golden(fresh, seqcls_golden)
    write_json(os.path.join(hf_dir, "golden.json"), golden)
    ins = {k: torch.tensor(v, dtype=torch.int64) for k, v in golden["inputs"].items()}
    for exporter, fn in (("torchscript", export_torchscript), ("dynamo", export_dynamo)):
        folder = fresh_folder(os.path.join(out, "fresh-" + exporter))
        call = fn(fresh, os.path.join(folder, "model.onnx"), ins, ["logits"])
        refs["fresh-" + exporter] = describe_export(folder, call, exporter, "onnx-torch/fresh-hf",
                                                    os.path.join(hf_dir, "model.safetensors"),
                                                    "onnx-torch/fresh-hf/golden.json", golden)
    write_torch_readme(out, refs)
    return refs


def write_torch_readme(out, refs):
    lines = [
        "# onnx-torch/ (generated by tools/make_onnx_fixtures.py; do not edit by hand)",
        "",
        "BERT graphs written by `torch.onnx.export` (torch 2.13.0+cpu, transformers 4.57.6, onnxscript 0.7.2), for an",
        "ONNX reader that must recover HF names and layouts. Inputs `input_ids`, `attention_mask`, `token_type_ids`",
        "(int64, dims `batch`, `sequence`). Every folder's `reference.json` lists the initializers with the HF tensors",
        "each equals (as stored or transposed), its consumers and their module scope, the HF tensors with no",
        "initializer (`hf_absent`), and onnxruntime 1.32.0's outputs on the golden inputs. Check a graph with",
        "`/root/ortenv/bin/python tools/onnx_check.py FOLDER/model.onnx --golden GOLDEN.json`.",
        "",
        "| folder | source | exporter | IR / opset | files | initializers (mapped to HF / constants) | ORT vs golden |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, ref in refs.items():
        mapped = sum(1 for i in ref["initializers"] if i["hf"])
        files = ", ".join(f"`{k}` {v['bytes']:,} B" for k, v in ref["files"].items())
        diff = ", ".join(f"{k} {v:.2g}" for k, v in ref["ort"]["max_abs_diff_vs_golden"].items())
        lines.append(f"| `{name}/` | {ref['source']} | {ref['exporter']} | {ref['ir_version']} / "
                     f"{ref['opset_import'].get('ai.onnx')} | {files} | {ref['initializer_count']} ({mapped} / "
                     f"{ref['initializer_count'] - mapped}) | {diff} |")
    lines += [
        "",
        "`fresh-hf/` is the source of the two `fresh-*` exports: `BertForSequenceClassification(BertConfig(vocab_size=100,",
        "hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, max_position_embeddings=64))`",
        "after `torch.manual_seed(0)`, not trained: every bias is exactly 0 and every LayerNorm gamma exactly 1, so",
        "the exporters deduplicate equal initializers (one tensor feeds many nodes under the first one's name) and",
        "the dynamo optimizer drops zero Gemm biases (`hf_absent`). `fresh-hf/golden.json` is PyTorch's output.",
        "",
        "Naming facts a reader relies on (all visible in reference.json):",
        "",
        "- Embeddings, LayerNorms, biases, `bert.pooler.dense.weight` and `classifier.weight` keep their HF names",
        "  and layout (pooler and classifier are `Gemm(transB=1)` on the `[out, in]` weight).",
        "- Every other Linear weight is a MatMul operand stored transposed (`[in, out]`) under a generated name:",
        "  `onnx::MatMul_<n>` (TorchScript) or `val_<n>` (dynamo). Its HF name follows from the consumer's scope",
        "  (TorchScript node name `/bert/encoder/layer.0/attention/self/query/MatMul`; dynamo node metadata",
        "  `namespace`, whose last non-`aten` segment is the module path) or from the bias its output is added to.",
        "  `hf_by_consumer_scope` is that rule applied (Gather input 0, LayerNormalization inputs 1/2, MatMul input 1,",
        "  Gemm inputs 1/2 -> `scope.weight`/`scope.bias`; Add -> `scope.bias`).",
        "- Deduplicated initializers (fresh-*): TorchScript keeps one initializer and re-creates each dropped name",
        "  as an `Identity` node whose *output* is the dropped HF name (`Identity(bert.embeddings.LayerNorm.bias) ->",
        "  bert.pooler.dense.bias`), so the names survive; dynamo feeds the one initializer straight to every",
        "  consumer (names only in the consumers' `namespace`), and its optimizer removes an all-zero Gemm bias",
        "  (Gemm with 2 inputs): `bert.pooler.dense.bias` and `classifier.bias` exist in no form (`hf_absent`;",
        "  the value they had is Gemm's default C = 0).",
        "- The dynamo export also stores `bert.embeddings.position_ids` (int64 [1, 64], a buffer model.safetensors",
        "  does not hold) and small constants (`val_<n>`, `clone_<n>`; listed with their `value`) as initializers;",
        "  tensors over 256 bytes go to `model.onnx.data` (onnx_ir.save's size_threshold_bytes=256; packed",
        "  densely, offsets not page-aligned), tensors of 256 bytes or less stay inline in raw_data.",
        "  TorchScript puts its small constants in `Constant` nodes instead (65 of them).",
    ]
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------- hostile

def pb_key(field, wire):
    return varint((field << 3) | wire)


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return pb_key(field, 2) + varint(len(data)) + data


def pb_int(field, value):
    return pb_key(field, 0) + varint(value & 0xFFFFFFFFFFFFFFFF)


def top_fields(data):
    """(field, wire, start, value_start, end) of each top-level field of a well-formed message."""
    out, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, end = read_varint(data, pos)
            value_start = pos
        elif wire == 2:
            n, value_start = read_varint(data, pos)
            end = value_start + n
        else:
            raise ValueError(f"wire type {wire}")
        out.append((field, wire, start, value_start, end))
        pos = end
    return out


def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        b = data[pos]
        value |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            return value, pos


def small_model(w, extra=(), n=4, name="W"):
    """Y = X + W with float [n] X, Y: the base of every hostile case."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["X", name], ["Y"], name="add")], "hostile",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [n])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n])],
        initializer=[w, *extra])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                             producer_name="bertinspect-hostile")


def inline_tensor(values, name="W", dims=None):
    from onnx import TensorProto

    t = TensorProto(name=name, data_type=TensorProto.FLOAT)
    values = np.asarray(values, dtype="<f4")
    t.dims.extend(list(values.shape) if dims is None else dims)
    t.raw_data = values.tobytes()
    return t


def external_tensor(location=None, offset=None, length=None, dims=(4,), name="W"):
    from onnx import TensorProto

    t = TensorProto(name=name, data_type=TensorProto.FLOAT, data_location=TensorProto.EXTERNAL)
    t.dims.extend(dims)
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


WEIGHTS = (np.arange(16, dtype="<f4") * 0.25 + 1.0)  # weights.bin: 64 bytes


def nested_graph_bytes(levels):
    """A GraphProto `levels` deep: each level one If node whose then_branch attribute holds the next graph."""
    graph = pb_bytes(2, "g0")
    for level in range(1, levels + 1):
        attr = pb_bytes(1, "then_branch") + pb_int(20, 5) + pb_bytes(6, graph)
        node = pb_bytes(1, "cond") + pb_bytes(2, f"y{level}") + pb_bytes(4, "If") + pb_bytes(5, attr)
        graph = pb_bytes(1, node) + pb_bytes(2, f"g{level}")
    return graph


def hostile_cases():
    """(file, rule, builder): builder returns the file's bytes."""

    def ser(model):
        return model.SerializeToString()

    def ext(**kw):
        n = kw.get("dims", (4,))[0]
        return lambda: ser(small_model(external_tensor(**kw), n=n))

    def control_inline():
        return ser(small_model(inline_tensor([0.5, -1.0, 2.0, 4.0])))

    def big_inline():
        # W of 32 floats: its raw_data length (128) is a 2-byte varint.
        return ser(small_model(inline_tensor(np.linspace(-1, 1, 32)), n=32))

    def truncated():
        data = big_inline()
        cut = data.index(b"\x4a\x80\x01")  # raw_data tag (field 9, wire 2), then the varint 128
        return data[:cut + 2]  # ends after the first (continuation) byte of the length varint

    def length_past_eof():
        data = control_inline()
        out = b""
        for field, wire, start, value_start, end in top_fields(data):
            if field == 7:
                out += pb_key(7, 2) + varint(end - value_start + 1_000_000) + data[value_start:end]
            else:
                out += data[start:end]
        return out

    def length_past_parent():
        data = control_inline()
        at = data.index(b"\x4a\x10")  # W's raw_data: tag, length 16
        assert len(data) - (at + 2) >= 32
        return data[:at] + b"\x4a\x20" + data[at + 2:]

    def varint_11():
        data = control_inline()
        fields = top_fields(data)
        assert fields[0][0] == 1  # ir_version first
        eleven = bytes([0x88] + [0x80] * 9 + [0x00])  # 8, written with 11 bytes (protobuf allows at most 10)
        return pb_key(1, 0) + eleven + data[fields[0][4]:]

    def nesting():
        graph = nested_graph_bytes(200)
        return (pb_int(1, 8) + pb_bytes(2, "bertinspect-hostile") + pb_bytes(7, graph)
                + pb_bytes(8, pb_bytes(1, "") + pb_int(2, 17)))

    def dims_negative():
        t = inline_tensor([0.5, -1.0, 2.0, 4.0], dims=[-4])
        return ser(small_model(t))

    def dims_wrap():
        from onnx import TensorProto

        t = TensorProto(name="W", data_type=TensorProto.FLOAT)
        t.dims.extend([1 << 62, 4])  # 2^64 elements: the product wraps to 0 in 64-bit arithmetic
        t.raw_data = b""
        return ser(small_model(t))

    def raw_mismatch():
        t = inline_tensor([0.5, -1.0, 2.0, 4.0])
        t.raw_data = t.raw_data[:12]
        return ser(small_model(t))

    def duplicate():
        a = inline_tensor([0.5, -1.0, 2.0, 4.0])
        b = inline_tensor([100.0, 200.0, 300.0, 400.0])
        return ser(small_model(a, extra=[b]))

    def dtype_unknown():
        t = inline_tensor([0.5, -1.0, 2.0, 4.0])
        t.data_type = 999
        return ser(small_model(t))

    return [
        ("control-inline.onnx", "valid: Y = X + W, W float [4] inline (raw_data)", control_inline),
        ("control-external.onnx", "valid: W external, location weights.bin, offset 16, length 16",
         ext(location="weights.bin", offset=16, length=16)),
        ("ext-parent-dir.onnx", "external data location ../outside.bin escapes the model's folder",
         ext(location="../outside.bin", offset=0, length=16)),
        ("ext-absolute.onnx", "external data location is the absolute path /etc/passwd",
         ext(location="/etc/passwd", offset=0, length=16)),
        ("ext-symlink-out.onnx", "location link-out.bin is a symlink in the folder to ../pt-seqcls/model.safetensors",
         ext(location="link-out.bin", offset=0, length=16)),
        ("ext-parent-symlink.onnx", "location link-dir/model.safetensors: link-dir is a symlink to ../pt-seqcls",
         ext(location="link-dir/model.safetensors", offset=0, length=16)),
        ("ext-dev-zero.onnx", "external data location is /dev/zero (a device, absolute path)",
         ext(location="/dev/zero", offset=0, length=16)),
        ("ext-length-mismatch.onnx", "length 12 but dims [4] float need 16 bytes",
         ext(location="weights.bin", offset=0, length=12)),
        ("ext-negative-offset.onnx", "offset -16", ext(location="weights.bin", offset=-16, length=16)),
        ("ext-huge-offset.onnx", "offset 9223372036854775800: offset + length overflows int64",
         ext(location="weights.bin", offset=9223372036854775800, length=16)),
        ("ext-beyond-eof.onnx", "dims [8], offset 48, length 32: bytes 48..80 of the 64-byte weights.bin",
         ext(location="weights.bin", offset=48, length=32, dims=(8,))),
        ("ext-missing-file.onnx", "location missing.bin does not exist",
         ext(location="missing.bin", offset=0, length=16)),
        ("ext-no-location.onnx", "data_location EXTERNAL but no location key",
         ext(offset=0, length=16)),
        ("truncated-varint.onnx", "control model with W [32] cut inside the 2-byte varint of raw_data's length",
         truncated),
        ("length-past-eof.onnx", "ModelProto.graph's length is 1,000,000 bytes more than the file holds",
         length_past_eof),
        ("length-past-parent.onnx", "W's raw_data length says 32: it runs 16 bytes past the end of its TensorProto "
         "(and its GraphProto) into the following fields, still inside the file", length_past_parent),
        ("varint-11-bytes.onnx", "ir_version written as an 11-byte varint (protobuf's maximum is 10)", varint_11),
        ("nesting-200.onnx", "200 nested sub-graphs (If.then_branch), 600 message levels deep", nesting),
        ("dims-negative.onnx", "initializer dims [-4] (raw_data 16 bytes)", dims_negative),
        ("dims-product-wraps.onnx", "dims [2^62, 4]: 2^64 elements, the product wraps to 0 in uint64; raw_data empty",
         dims_wrap),
        ("raw-data-mismatch.onnx", "dims [4] float (16 bytes) but raw_data holds 12 bytes", raw_mismatch),
        ("duplicate-initializer.onnx", "two initializers named W with different values", duplicate),
        ("dtype-unknown.onnx", "initializer data_type 999 (not a TensorProto.DataType)", dtype_unknown),
    ]


CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
path, which = sys.argv[1], sys.argv[2]
def line(e):
    t = " ".join(str(e).split())
    return t[:700] if t else type(e).__name__
out = {}
if which == "ort":
    import numpy as np, onnxruntime as ort
    try:
        o = ort.SessionOptions(); o.log_severity_level = 4
        s = ort.InferenceSession(path, sess_options=o, providers=["CPUExecutionProvider"])
        out["load"] = "ok"
        shape = [d if isinstance(d, int) else 1 for d in s.get_inputs()[0].shape]
        y = s.run(None, {s.get_inputs()[0].name: np.zeros(shape, np.float32)})[0]
        out["run"] = "ok"; out["Y"] = [float(v) for v in y.ravel()[:8]]
    except Exception as e:
        out["error"] = type(e).__name__ + ": " + line(e)
else:
    import onnx
    try:
        m = onnx.load(path)
        out["load"] = "ok"
        onnx.checker.check_model(path, full_check=True)
        out["check"] = "ok"
    except Exception as e:
        out["error"] = type(e).__name__ + ": " + line(e)
print(json.dumps(out))
"""


def probe(path, which):
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, path, which], capture_output=True, text=True,
                           timeout=CHILD_TIMEOUT, cwd=os.path.dirname(path))
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {CHILD_TIMEOUT} s"}
    last = r.stdout.strip().splitlines()[-1:] if r.stdout.strip() else []
    if r.returncode != 0 or not last:
        return {"error": f"child exited {r.returncode}: {(r.stderr.strip().splitlines() or [''])[-1][:300]}"}
    result = json.loads(last[0])
    if "error" in result:
        result["error"] = result["error"].replace(os.path.dirname(os.path.dirname(path)), "<tmp>")
    return result


def short_error(text):
    """An onnxruntime / onnx message without source locations and C++ signatures."""
    for marker in (" : FAIL : ", " : INVALID_PROTOBUF : ", " : INVALID_GRAPH : "):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    text = re.sub(r"Load model from \S+ failed:", "", text)
    text = re.sub(r"static void SafeIntExceptionHandler<[^>]*>::SafeIntOnOverflow\(\) ", "", text)
    out, depth, i = "", 0, 0
    while i < len(text):  # drop "onnxruntime::X::Y(args)" signatures, balancing parentheses
        if depth == 0 and text.startswith("onnxruntime::", i):
            j = text.find("(", i)
            if j < 0:
                break
            depth, i = 1, j + 1
            while i < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            continue
        out += text[i]
        i += 1
    out = re.sub(r"(/onnxruntime_src/\S+|\b\w+\.(cc|h)):\d+ ", "", out)
    return " ".join(out.split())


def verdict(result):
    if "error" in result:
        return "refuses: " + short_error(result["error"])
    if result.get("run") == "ok":
        return "loads and runs: Y[:4] = " + json.dumps(result["Y"][:4])
    if result.get("check") == "ok":
        return "loads, checker passes"
    return "loads" + ("" if result.get("load") == "ok" else "?")


def make_onnx_hostile(root):
    out = fresh_folder(os.path.join(root, "onnx-hostile"))
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(WEIGHTS.tobytes())
    os.symlink("../pt-seqcls/model.safetensors", os.path.join(out, "link-out.bin"))
    os.symlink("../pt-seqcls", os.path.join(out, "link-dir"))
    cases = []
    for name, rule, build in hostile_cases():
        data = build()
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        cases.append({"file": name, "rule": rule, "bytes": len(data), "sha256": sha256(data)})

    with tempfile.TemporaryDirectory() as tmp:
        box = os.path.join(tmp, "onnx-hostile")
        shutil.copytree(out, box, symlinks=True)
        os.makedirs(os.path.join(tmp, "pt-seqcls"))
        shutil.copy(os.path.join(root, "pt-seqcls", "model.safetensors"), os.path.join(tmp, "pt-seqcls"))
        with open(os.path.join(tmp, "outside.bin"), "wb") as f:
            f.write(np.full(4, 7.0, "<f4").tobytes())
        for case in cases:
            path = os.path.join(box, case["file"])
            case["onnxruntime"] = probe(path, "ort")
            case["onnx"] = probe(path, "onnx")
    write_json(os.path.join(out, "cases.json"), {"writer": versions(), "weights.bin": to_py(WEIGHTS),
                                                 "symlinks": {"link-out.bin": "../pt-seqcls/model.safetensors",
                                                              "link-dir": "../pt-seqcls"},
                                                 "cases": cases})
    lines = [
        "# onnx-hostile/ (generated by tools/make_onnx_fixtures.py; do not edit by hand)",
        "",
        "Small ONNX models a safe reader must refuse, plus two valid controls. Every model is `Y = Add(X, W)`",
        "(X, Y float [4]; IR 8, opset 17) unless the rule says otherwise; the damage is in W or in the protobuf",
        "framing. `weights.bin` = 16 float32 `1.0, 1.25, … 4.75` (64 bytes). `link-out.bin` → `../pt-seqcls/model.safetensors`",
        "and `link-dir` → `../pt-seqcls` are symlinks (git stores them as links; a checkout without symlink support",
        "turns them into small text files, which a reader must refuse just the same). `cases.json` has per case",
        "the rule, size, sha256 and the full results.",
        "",
        "The onnxruntime 1.32.0 column is `InferenceSession(path)` + `run` with X = 0, and the onnx 1.23.2 column",
        "`onnx.load(path)` + `onnx.checker.check_model(path, full_check=True)`, each in a child process, on a copy",
        "of this folder where `../outside.bin` (4 × 7.0) and `../pt-seqcls/model.safetensors` exist.",
        "",
        "| file | expect | onnxruntime 1.32.0 | onnx 1.23.2 |",
        "| --- | --- | --- | --- |",
    ]
    for case in cases:
        expect = ("accept" if case["file"].startswith("control-") else "refuse") + ": " + case["rule"]
        lines.append(f"| `{case['file']}` | {expect} | {verdict(case['onnxruntime'])} | "
                     f"{verdict(case['onnx'])} |".replace("\n", " "))
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return cases


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    for needed in ("pt-seqcls/model.safetensors", "pt-base/model.safetensors", "pt-seqcls/golden.json"):
        if not os.path.exists(os.path.join(root, needed)):
            sys.exit(f"missing {os.path.join(root, needed)}: run tools/make_fixtures.py first")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import torch

    torch.set_num_threads(1)
    refs = make_onnx_torch(root)
    for name, ref in refs.items():
        print(f"onnx-torch/{name}: {ref['initializer_count']} initializers, ops {sum(ref['ops'].values())}, "
              f"ORT vs golden {ref['ort']['max_abs_diff_vs_golden']}, absent {list(ref['hf_absent'])}")
    for case in make_onnx_hostile(root):
        print(f"onnx-hostile/{case['file']}: ORT {verdict(case['onnxruntime'])[:110]}")


if __name__ == "__main__":
    main()
