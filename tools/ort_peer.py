"""The ONNX Runtime peer of tools/bench_forward.py and tools/bench_eval.py. Runs in the second venv, /root/ortenv
(tools/requirements-ort.txt: onnxruntime needs protobuf >= 6, TensorFlow in /root/refenv needs protobuf < 6).

  export FOLDER OUTDIR   torch.onnx.export of the BertForSequenceClassification in FOLDER (config.json + weights):
                         inputs input_ids, attention_mask, token_type_ids (int64, dynamic batch and sequence axes),
                         output logits, to OUTDIR/model.onnx; then onnxruntime.transformers' BERT fusion
                         (optimize_model(model_type="bert", num_heads, hidden_size) from config.json) to
                         OUTDIR/model-fused.onnx. Both are cached: redone only when the weights or config are newer.
  bench OUTDIR           times both graphs on random ids (the same ids as the other peers) for each --shapes entry;
                         each --extra-model LABEL=PATH (repeatable) is timed the same way under graph LABEL, fed the
                         inputs it declares among input_ids / attention_mask / token_type_ids, all its outputs fetched
                         (tools/bench_forward.py --bertinspect-onnx: bertinspect's own exports).
  eval OUTDIR            real-text throughput: texts of a CSV tokenized with transformers' BertTokenizer
                         (truncation, --max-length), batches of --batch-size in file order, each padded to its longest;
                         the faster graph (--graph auto: a 2 × 256 probe) or, with --backend torch, PyTorch eager on the
                         model folder OUTDIR (then any venv with torch + transformers will do, e.g. /root/refenv).

Sessions: CPUExecutionProvider, intra_op_num_threads = --threads, inter_op_num_threads = 1, ORT_SEQUENTIAL,
ORT_ENABLE_ALL. Prints one JSON line (the last line of stdout) with the results.
"""
import argparse
import json
import os
import statistics
import sys
import time

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def graph_paths(outdir):
    return os.path.join(outdir, "model.onnx"), os.path.join(outdir, "model-fused.onnx")


def newest_source(folder):
    names = [n for n in os.listdir(folder) if n in ("config.json", "model.safetensors", "pytorch_model.bin")]
    return max(os.path.getmtime(os.path.join(folder, n)) for n in names)


def export(folder, outdir, opset):
    plain, fused = graph_paths(outdir)
    os.makedirs(outdir, exist_ok=True)
    source_time = newest_source(folder)
    notes = {}
    if not os.path.exists(plain) or os.path.getmtime(plain) < source_time:
        import warnings

        import torch
        from transformers import BertForSequenceClassification

        warnings.filterwarnings("ignore")
        # Eager attention: the traced graph then has the MatMul/Softmax pattern the BERT fusion recognises.
        model = BertForSequenceClassification.from_pretrained(folder, attn_implementation="eager").eval()
        ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
        dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
        dynamic["logits"] = {0: "batch"}
        start = time.perf_counter()
        tmp = plain + ".tmp"
        with torch.no_grad():
            torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), tmp, input_names=list(INPUTS),
                              output_names=["logits"], dynamic_axes=dynamic, opset_version=opset, dynamo=False)
        os.replace(tmp, plain)
        notes["export_s"] = round(time.perf_counter() - start, 1)
    if not os.path.exists(fused) or os.path.getmtime(fused) < os.path.getmtime(plain):
        from onnxruntime.transformers import optimizer

        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        start = time.perf_counter()
        model = optimizer.optimize_model(plain, model_type="bert", num_heads=config["num_attention_heads"],
                                         hidden_size=config["hidden_size"])
        notes["fused_ops"] = {k: v for k, v in model.get_fused_operator_statistics().items() if v}
        tmp = fused + ".tmp"
        model.save_model_to_file(tmp)
        os.replace(tmp, fused)
        notes["optimize_s"] = round(time.perf_counter() - start, 1)
    notes.update(plain=plain, fused=fused, plain_mb=round(os.path.getsize(plain) / 1e6, 1),
                 fused_mb=round(os.path.getsize(fused) / 1e6, 1))
    return notes


def session(path, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def feeds(ids, mask=None, types=None):
    import numpy as np

    ids = np.asarray(ids, dtype=np.int64)
    return {"input_ids": ids,
            "attention_mask": np.ones_like(ids) if mask is None else np.asarray(mask, dtype=np.int64),
            "token_type_ids": np.zeros_like(ids) if types is None else np.asarray(types, dtype=np.int64)}


def random_ids(batch, length):
    import numpy as np

    # The same ids as tools/bench_forward.py's PyTorch and TensorFlow peers.
    return np.random.RandomState(0).randint(1000, 28000, size=(batch, length)).astype("int32")


def bench(outdir, threads, runs, shapes, extra_models=()):
    import onnxruntime as ort

    results = []
    graphs = [(label, path, ["logits"]) for label, path in zip(("onnx", "onnx-fused"), graph_paths(outdir))]
    graphs += [(label, path, None) for label, path in extra_models]
    for label, path, outputs in graphs:
        sess = session(path, threads)
        declared = {i.name for i in sess.get_inputs()}
        for batch, length in shapes:
            x = {k: v for k, v in feeds(random_ids(batch, length)).items() if k in declared}
            sess.run(outputs, x)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                sess.run(outputs, x)
                times.append(time.perf_counter() - start)
            results.append({"graph": label, "batch": batch, "length": length, "median": statistics.median(times),
                            "min": min(times), "max": max(times)})
        del sess
    return {"rows": results, "extra": f"onnxruntime {ort.__version__}, CPUExecutionProvider, intra-op {threads}"}


def read_texts(path, text_column, count):
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        texts = []
        for row in reader:
            texts.append(row[text_column])
            if count and len(texts) >= count:
                break
    return texts


def probe(paths, threads, length):
    """Times each graph on one 2 × length batch (after a warm-up) and returns the faster one's label and the times."""
    x = feeds(random_ids(2, length))
    times = {}
    for label, path in paths.items():
        sess = session(path, threads)
        sess.run(["logits"], x)
        start = time.perf_counter()
        sess.run(["logits"], x)
        times[label] = time.perf_counter() - start
        del sess
    return min(times, key=times.get), times


def evaluate(outdir, threads, csv_path, text_column, count, vocab, max_length, batch_size, graph, lower, backend):
    """Texts fed the way a typical script does: BertTokenizer (truncation, max_length), batches of batch_size in file
    order, each padded to its longest; the clock runs from the first batch's tokenization to the last argmax."""
    import numpy as np
    from transformers import BertTokenizer

    probe_times = None
    if backend == "onnxruntime":
        import onnxruntime as ort

        plain, fused = graph_paths(outdir)
        paths = {"onnx": plain, "onnx-fused": fused}
        if graph == "auto":
            graph, probe_times = probe(paths, threads, min(max_length, 256))
        sess = session(paths[graph], threads)
        run = lambda enc: sess.run(["logits"], feeds(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]))[0]
        run({"input_ids": random_ids(1, 8), "attention_mask": None, "token_type_ids": None})
        extra = f"onnxruntime {ort.__version__} ({graph} graph), intra-op {threads}, inter-op 1"
    else:
        import torch
        from transformers import BertForSequenceClassification

        torch.set_num_threads(threads)
        model = BertForSequenceClassification.from_pretrained(outdir).eval()

        def run(enc):
            with torch.no_grad():
                return model(**{k: torch.from_numpy(np.asarray(v, dtype=np.int64)) for k, v in enc.items()}).logits.numpy()
        run({"input_ids": random_ids(1, 8)})
        graph = "eager"
        extra = f"torch {torch.__version__} eager, no_grad, intra-op {torch.get_num_threads()}"
    texts = read_texts(csv_path, text_column, count)
    tokenizer = BertTokenizer(vocab, do_lower_case=lower)
    tokens = positions = truncated = 0
    tokenize_s = forward_s = 0.0
    predictions = []
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        chunk = texts[i:i + batch_size]
        t0 = time.perf_counter()
        enc = tokenizer(chunk, truncation=True, max_length=max_length, padding="longest", return_tensors="np")
        t1 = time.perf_counter()
        logits = run({k: enc[k] for k in INPUTS})
        t2 = time.perf_counter()
        tokenize_s += t1 - t0
        forward_s += t2 - t1
        predictions.extend(np.argmax(logits, axis=-1).tolist())
        lengths = enc["attention_mask"].sum(axis=1)
        tokens += int(lengths.sum())
        positions += int(enc["attention_mask"].size)
        truncated += int((lengths >= max_length).sum())
    seconds = time.perf_counter() - started
    return {"backend": backend, "graph": graph, "probe_s": probe_times, "examples": len(texts), "seconds": seconds,
            "tokenize_s": tokenize_s, "forward_s": forward_s, "tokens": tokens, "positions": positions,
            "at_max_length": truncated, "sequences_per_second": len(texts) / seconds, "tokens_per_second": tokens / seconds,
            "padding_fraction": (positions - tokens) / positions if positions else 0.0, "extra": extra}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export")
    p.add_argument("folder")
    p.add_argument("outdir")
    p.add_argument("--opset", type=int, default=17)
    p = sub.add_parser("bench")
    p.add_argument("outdir")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--shapes", nargs="+", required=True, help="BATCHxLENGTH, e.g. 8x128 1x128")
    p.add_argument("--extra-model", action="append", default=[], metavar="LABEL=PATH",
                   help="also time this ONNX file, reported as graph LABEL (repeatable)")
    p = sub.add_parser("eval")
    p.add_argument("outdir")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--text-column", default="review")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--vocab", required=True)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--graph", choices=("auto", "onnx", "onnx-fused"), default="auto")
    p.add_argument("--no-lower-case", action="store_true")
    p.add_argument("--backend", choices=("onnxruntime", "torch"), default="onnxruntime",
                   help="torch: PyTorch eager on the model folder OUTDIR (runs in /root/refenv, which lacks onnxruntime)")
    args = parser.parse_args()
    if args.command == "export":
        result = export(args.folder, args.outdir, args.opset)
    elif args.command == "bench":
        shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes]
        extra = []
        for item in args.extra_model:
            label, sep, path = item.partition("=")
            if not sep or not label or not path:
                parser.error(f"--extra-model {item!r}: expected LABEL=PATH")
            extra.append((label, path))
        result = bench(args.outdir, args.threads, args.runs, shapes, extra)
    else:
        result = evaluate(args.outdir, args.threads, args.input, args.text_column, args.count, args.vocab, args.max_length,
                          args.batch_size, args.graph, not args.no_lower_case, args.backend)
    sys.stdout.flush()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
