"""PyTorch reference for tools/gpu_check.sh: the same BertForSequenceClassification forward pass in PyTorch eager
FP32 (TF32 off unless --tf32), on CUDA or the CPU.

  golden MODEL OUT.json --inputs INPUTS.json [--batch 8] [--seq-len 128]
      Seeded random ids (some rows padded, some with token type 1), their logits, pooler_output and
      last_hidden_state as a bertinspect.golden/1 file (atol = rtol = 1e-4), and the inputs alone in INPUTS.json
      (for `bertinspect verify --record --ids-file`).
  bench MODEL [--batch 8] [--seq-len 128] [--runs 50]
      Median time of a forward pass on random ids (all attended), synchronized, then also with the outputs copied
      to the host as bertinspect returns them. Prints one JSON object.

The model is transformers' BertForSequenceClassification (attn_implementation="eager") when transformers is
importable, otherwise the same computation written out below (modeling_bert.py's eager path), reading
model.safetensors with numpy. Needs torch (and numpy); no network.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["golden", "bench"])
parser.add_argument("model")
parser.add_argument("output", nargs="?")
parser.add_argument("--inputs")
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--seq-len", type=int, default=128)
parser.add_argument("--runs", type=int, default=50)
parser.add_argument("--device", default="cuda")
parser.add_argument("--tf32", action="store_true")
parser.add_argument("--implementation", choices=["auto", "transformers", "plain"], default="auto")
args = parser.parse_args()

torch.backends.cuda.matmul.allow_tf32 = args.tf32
torch.backends.cudnn.allow_tf32 = args.tf32
device = torch.device(args.device)
with open(os.path.join(args.model, "config.json")) as file:
    config = json.load(file)


def read_safetensors(path):
    """Every tensor of a safetensors file as a float32 torch tensor (F32 and F16 only)."""
    with open(path, "rb") as file:
        size = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(size))
        data = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]
        values = np.frombuffer(data[start:end], dtype=dtype).astype(np.float32).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(values.copy())
    return tensors


class PlainBert:
    """modeling_bert.py's BertForSequenceClassification, eager attention, inference only."""

    def __init__(self, folder):
        self.w = {k: v.to(device) for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
        self.hidden, self.heads = config["hidden_size"], config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)

    def linear(self, x, name):
        return F.linear(x, self.w[name + ".weight"], self.w.get(name + ".bias"))

    def norm(self, x, name):
        return F.layer_norm(x, (self.hidden,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def __call__(self, input_ids, attention_mask, token_type_ids):
        batch, length = input_ids.shape
        head = self.hidden // self.heads
        positions = torch.arange(length, device=device)
        x = (self.w["bert.embeddings.word_embeddings.weight"][input_ids]
             + self.w["bert.embeddings.position_embeddings.weight"][positions][None]
             + self.w["bert.embeddings.token_type_embeddings.weight"][token_type_ids])
        x = self.norm(x, "bert.embeddings.LayerNorm")
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in range(config["num_hidden_layers"]):
            p = f"bert.encoder.layer.{layer}."
            q, k, v = (self.linear(x, p + "attention.self." + n).view(batch, length, self.heads, head).transpose(1, 2)
                       for n in ("query", "key", "value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head) + mask
            context = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(batch, length, self.hidden)
            attended = self.norm(self.linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            x = self.norm(self.linear(F.gelu(self.linear(attended, p + "intermediate.dense")), p + "output.dense") + attended,
                          p + "output.LayerNorm")
        pooled = torch.tanh(self.linear(x[:, 0], "bert.pooler.dense"))
        return x, pooled, self.linear(pooled, "classifier")


def load():
    if args.implementation != "plain":
        try:
            import transformers
            model = transformers.BertForSequenceClassification.from_pretrained(
                args.model, attn_implementation="eager").float().to(device).eval()

            def call(input_ids, attention_mask, token_type_ids):
                out = model.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state, out.pooler_output, model.classifier(out.pooler_output)
            return call, f"transformers {transformers.__version__} BertForSequenceClassification (eager attention)"
        except Exception as error:  # no transformers, or one too old for attn_implementation
            if args.implementation == "transformers":
                raise
            print(f"transformers unusable ({type(error).__name__}: {error}); using the plain implementation", file=sys.stderr)
    return PlainBert(args.model), "plain PyTorch BERT (modeling_bert.py's eager computation)"


def synchronize():
    if device.type == "cuda":
        torch.cuda.synchronize()


forward, implementation = load()
name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
writer = f"torch {torch.__version__} on {name}, {implementation}, FP32, TF32 {'on' if args.tf32 else 'off'}"
rng = np.random.default_rng(7)
vocabulary = config["vocab_size"]
ids = rng.integers(1000 if vocabulary > 2000 else 104, vocabulary, size=(args.batch, args.seq_len)).astype(np.int64)

if args.mode == "golden":
    mask = np.ones_like(ids)
    types = np.zeros_like(ids)
    for row in range(args.batch):
        ids[row, 0] = 101
        if row % 3 == 1:  # padded: the last third of the row
            keep = args.seq_len - args.seq_len // 3
            ids[row, keep:], mask[row, keep:] = 0, 0
        if row % 3 == 2:  # a pair: the second half has token type 1
            types[row, args.seq_len // 2:] = 1
    tensors = [torch.from_numpy(a).to(device) for a in (ids, mask, types)]
    with torch.inference_mode():
        hidden, pooled, logits = (t.float().cpu().numpy() for t in forward(*tensors))
    inputs = {"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": types.tolist()}
    with open(args.inputs, "w") as file:
        json.dump(inputs, file)
    golden = {
        "schema": "bertinspect.golden/1", "writer": writer, "tolerance": {"atol": 1e-4, "rtol": 1e-4}, "inputs": inputs,
        "outputs": {"logits": logits.tolist(), "pooler_output": pooled.tolist(), "last_hidden_state": hidden.tolist()},
    }
    with open(args.output, "w") as file:
        json.dump(golden, file)
    print(f"wrote {args.output}: {writer}", file=sys.stderr)
else:
    tensors = [torch.from_numpy(a).to(device) for a in (ids, np.ones_like(ids), np.zeros_like(ids))]
    results = {}
    with torch.inference_mode():
        for label, to_host in (("median_ms", False), ("with_outputs_to_host_median_ms", True)):
            for _ in range(3):
                forward(*tensors)
            synchronize()
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                outputs = forward(*tensors)
                if to_host:
                    outputs = [t.cpu() for t in outputs]
                synchronize()
                times.append((time.perf_counter() - start) * 1000)
            results[label] = statistics.median(times)
            if not to_host:
                results["min_ms"], results["max_ms"] = min(times), max(times)
    print(json.dumps({"framework": writer, "batch": args.batch, "seq_len": args.seq_len, "runs": args.runs, **results}))
