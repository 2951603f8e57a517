#!/usr/bin/env python3
"""Checks an ONNX BERT graph against a bertinspect golden file with the reference ONNX stack.

    /root/ortenv/bin/python tools/onnx_check.py MODEL.onnx --golden GOLDEN.json
        [--atol 1e-5] [--expect-graph standard|fused] [--opset N]

Environment: /root/ortenv (tools/requirements-ort.txt: onnx, onnxruntime, numpy).

1. onnx.checker.check_model(MODEL path, full_check=True): the path, not a loaded proto, so models with
   external data (`model.onnx` + `model.onnx.data`) are checked too. Records ir_version, opset imports and
   the op histogram ("domain:op" for ops outside ai.onnx). `--opset N`: the ai.onnx opset import must be N.
   `--expect-graph standard`: every node (sub-graphs included) has domain "" (ai.onnx).
   `--expect-graph fused`: com.microsoft EmbedLayerNormalization, Attention, SkipLayerNormalization and
   BiasGelu each occur at least once (and com.microsoft is imported).
2. onnxruntime.InferenceSession(MODEL, CPUExecutionProvider). Every graph input must be one of the golden
   inputs (input_ids / attention_mask / token_type_ids) and int64; a model that declares only input_ids gets
   only input_ids. Each golden output the model also outputs is compared: max |ort - golden| <= atol
   (float16 outputs are widened to float32 first); last_hidden_state only at positions where
   attention_mask == 1 (padded positions differ between frameworks). At least one golden output must be
   compared.
3. Dynamic axes: the first golden row cut to 5 tokens, batch 1. Must run; outputs must be finite, logits
   [1, num_labels], pooler_output [1, hidden], last_hidden_state and per-token logits [1, 5, …] (sizes from the golden);
   any other output must have batch dimension 1. Values are not compared.

Prints one JSON object {"ok", "checks", "failures", "max_abs_diff", "model", "ir_version", "opsets", "ops"}
(each check {"check", "ok", "detail"}; failures = the details of the failed ones). Exit status 0 when every
check passed, 1 when one failed, 2 on a usage error (bad arguments, unreadable model or golden file).
"""
import argparse
import collections
import json
import os
import sys

GOLDEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FUSED_OPS = ("EmbedLayerNormalization", "Attention", "SkipLayerNormalization", "BiasGelu")
MS_DOMAIN = "com.microsoft"


class Report:
    def __init__(self, model):
        self.model = model
        self.checks = []
        self.max_abs_diff = {}
        self.info = {}

    def add(self, name, ok, detail=""):
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        return ok

    def ok(self):
        return all(c["ok"] for c in self.checks)

    def as_json(self):
        out = {
            "ok": self.ok(),
            "checks": self.checks,
            "failures": [f'{c["check"]}: {c["detail"]}' for c in self.checks if not c["ok"]],
            "max_abs_diff": self.max_abs_diff,
            "model": self.model,
        }
        out.update(self.info)
        return out


def usage_error(message):
    print(json.dumps({"ok": False, "usage_error": message}))
    sys.exit(2)


def walk_nodes(graph):
    """Every node of `graph` and of its sub-graphs (If/Loop/Scan attributes)."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from walk_nodes(attr.g)
            for sub in attr.graphs:
                yield from walk_nodes(sub)


def first_line(error):
    """The error's message on one line (whitespace collapsed, at most 400 characters)."""
    text = " ".join(str(error).split())
    return text[:400] if text else type(error).__name__


def static_checks(rep, path, args):
    import onnx

    try:
        onnx.checker.check_model(path, full_check=True)
        rep.add("onnx.checker.full_check", True, "passed")
    except Exception as e:  # noqa: BLE001 - the checker raises several classes
        rep.add("onnx.checker.full_check", False, f"{type(e).__name__}: {first_line(e)}")

    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:  # noqa: BLE001
        rep.add("onnx.load", False, f"{type(e).__name__}: {first_line(e)}")
        return
    opsets = {(o.domain or ""): o.version for o in model.opset_import}
    nodes = list(walk_nodes(model.graph))
    hist = collections.Counter((n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}")
                               for n in nodes)
    rep.info["ir_version"] = model.ir_version
    rep.info["opsets"] = {("ai.onnx" if k == "" else k): v for k, v in sorted(opsets.items())}
    rep.info["ops"] = dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))
    rep.info["node_count"] = len(nodes)
    rep.info["initializer_count"] = len(model.graph.initializer)

    if args.opset is not None:
        got = opsets.get("", opsets.get("ai.onnx"))
        rep.add("opset", got == args.opset, f"ai.onnx opset {got}, expected {args.opset}")

    if args.expect_graph == "standard":
        foreign = collections.Counter(f"{n.domain}:{n.op_type}" for n in nodes if n.domain != "")
        rep.add("graph.standard", not foreign,
                "every node in domain ai.onnx" if not foreign else f"nodes outside ai.onnx: {dict(foreign)}")
    elif args.expect_graph == "fused":
        ms = collections.Counter(n.op_type for n in nodes if n.domain == MS_DOMAIN)
        missing = [op for op in FUSED_OPS if ms[op] == 0]
        detail = "com.microsoft " + ", ".join(f"{op} {ms[op]}" for op in FUSED_OPS)
        if missing:
            detail += f"; missing {missing}"
        if MS_DOMAIN not in opsets:
            missing.append("opset_import com.microsoft")
            detail += "; com.microsoft not in opset_import"
        rep.add("graph.fused", not missing, detail)


def elem_name(ort_type):
    return ort_type.replace("tensor(", "").rstrip(")")


def runtime_checks(rep, path, golden, atol, static=False):
    import numpy as np
    import onnxruntime as ort

    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001
        rep.add("onnxruntime.load", False, f"{type(e).__name__}: {first_line(e)}")
        return
    rep.add("onnxruntime.load", True, "InferenceSession on CPUExecutionProvider")

    g_in = golden.get("inputs", {})
    g_out = golden.get("outputs", {})
    declared = sess.get_inputs()
    rep.info["inputs"] = [{"name": i.name, "type": elem_name(i.type), "shape": i.shape} for i in declared]
    rep.info["outputs"] = [{"name": o.name, "type": elem_name(o.type), "shape": o.shape} for o in sess.get_outputs()]

    feed = {}
    bad = []
    for i in declared:
        if i.name not in GOLDEN_INPUTS or i.name not in g_in:
            bad.append(f"{i.name} is not a golden input")
        elif i.type != "tensor(int64)":
            bad.append(f"{i.name} is {elem_name(i.type)}, expected int64")
        else:
            feed[i.name] = np.asarray(g_in[i.name], dtype=np.int64)
    rep.add("inputs", not bad, "; ".join(bad) if bad else "fed " + ", ".join(feed))
    if bad:
        return

    out_names = [o.name for o in sess.get_outputs()]
    try:
        results = dict(zip(out_names, sess.run(None, feed)))
    except Exception as e:  # noqa: BLE001
        rep.add("run.golden", False, f"{type(e).__name__}: {first_line(e)}")
        return
    rep.add("run.golden", True, f"batch {feed['input_ids'].shape[0]} x {feed['input_ids'].shape[1]}")

    mask = np.asarray(g_in.get("attention_mask", np.ones_like(feed["input_ids"])), dtype=np.int64)
    compared = 0
    for name, want in g_out.items():
        if name not in results:
            continue
        got = np.asarray(results[name]).astype(np.float32)
        want = np.asarray(want, dtype=np.float32)
        if got.shape != want.shape:
            rep.add(f"compare.{name}", False, f"shape {list(got.shape)}, golden {list(want.shape)}")
            continue
        diff = np.abs(got - want)
        where = ""
        if name == "last_hidden_state":
            diff = diff[mask == 1]
            where = f" over {int(mask.sum())} unmasked positions"
        worst = float(diff.max()) if diff.size else 0.0
        if not np.isfinite(got).all():
            worst = float("inf")
        rep.max_abs_diff[name] = worst
        compared += 1
        rep.add(f"compare.{name}", worst <= atol, f"max abs diff {worst:.3g} (atol {atol:g}){where}")
    rep.add("compare.any", compared > 0,
            f"{compared} golden output(s) compared" if compared else
            f"no golden output among the model's outputs {out_names}")

    # Dynamic axes: batch 1, sequence 5 (with --static, a fixed sequence axis: batch 1 only).
    short = {k: v[:1] if static else v[:1, :5] for k, v in feed.items()}
    try:
        res = dict(zip(out_names, sess.run(None, short)))
    except Exception as e:  # noqa: BLE001
        rep.add("run.dynamic", False, f"batch 1 x 5 tokens: {type(e).__name__}: {first_line(e)}")
        return
    problems = []
    for name, arr in res.items():
        arr = np.asarray(arr)
        want = None
        if name in g_out:
            gshape = list(np.asarray(g_out[name]).shape)
            if name == "last_hidden_state" or len(gshape) == 3:  # per-token outputs follow the sequence
                want = [1, gshape[1] if static else 5] + gshape[2:]
            else:
                want = [1] + gshape[1:]
        if want is not None and list(arr.shape) != want:
            problems.append(f"{name} shape {list(arr.shape)}, expected {want}")
        elif want is None and (arr.ndim == 0 or arr.shape[0] != 1):
            problems.append(f"{name} shape {list(arr.shape)}, expected batch 1")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            problems.append(f"{name} has non-finite values")
    shapes = ", ".join(f"{k} {list(np.asarray(v).shape)}" for k, v in res.items())
    rep.add("run.dynamic", not problems, "; ".join(problems) if problems else f"batch 1 x 5 tokens: {shapes}")


def render(obj):
    """One JSON object: a top-level key per line, one line per check."""
    lines = []
    for key, value in obj.items():
        if key == "checks" and value:
            inner = ",\n".join("  " + json.dumps(c) for c in value)
            lines.append(f' "{key}": [\n{inner}\n ]')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--golden", required=True)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--expect-graph", choices=("standard", "fused"))
    parser.add_argument("--opset", type=int)
    parser.add_argument("--static", action="store_true", help="the sequence axis is fixed (convert --max-length)")
    args = parser.parse_args(argv)  # argparse exits 2 on a usage error

    if not os.path.isfile(args.model):
        usage_error(f"no such model file: {args.model}")
    try:
        with open(args.golden, encoding="utf-8") as f:
            golden = json.load(f)
        if not isinstance(golden.get("inputs"), dict) or "input_ids" not in golden["inputs"]:
            raise ValueError("no inputs.input_ids")
    except (OSError, ValueError) as e:
        usage_error(f"unreadable golden file {args.golden}: {first_line(e)}")
    if not args.atol >= 0:
        usage_error("--atol must be >= 0")

    rep = Report(args.model)
    static_checks(rep, args.model, args)
    runtime_checks(rep, args.model, golden, args.atol, static=args.static)
    try:
        print(render(rep.as_json()), flush=True)
    except BrokenPipeError:
        pass
    return 0 if rep.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
