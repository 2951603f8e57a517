#!/usr/bin/env python3
"""Checks a BERT GGUF file against its source safetensors with the reference GGUF stack (gguf-py, llama.cpp).

    /root/ortenv/bin/python tools/gguf_check.py --gguf FILE.gguf --source SAFETENSORS_FILE_OR_FOLDER
        --dtype f32|f16|bf16|q8_0 [--vocab vocab.txt]
        [--embeddings-against HF_FOLDER --texts T1 T2 ...] [--pooling mean|cls]
        [--pooler auto|keep|drop] [--type-policy llama.cpp|lenient] [--min-cosine 0.999]

Environment: /root/ortenv (tools/requirements-ort.txt: gguf, llama-cpp-python, transformers, torch, numpy).

The file is read with gguf.GGUFReader (gguf-py, the framework's own reader); --source is a .safetensors file,
a model.safetensors.index.json, or a folder holding either (config.json beside it). --vocab defaults to the
vocab.txt beside the source. Checks:

1. Container: magic "GGUF", version 3; general.alignment absent or UINT32 32; data section start, every tensor
   offset aligned; tensor infos in data order with no gaps (offset i == sum of the previous tensors'
   GGML_PAD(nbytes, alignment), the check ggml's gguf_init_from_file makes); ne[0] a multiple of the type's
   block size; data end (padded) <= file size; header and inter-tensor padding all 0x00; names < 64 bytes,
   unique; at most 4 dims.
2. Metadata (value types as llama.cpp's loader demands them): general.architecture STRING "bert";
   bert.context_length / embedding_length / feed_forward_length / block_count / attention.head_count UINT32
   equal to config.json's max_position_embeddings / hidden_size / intermediate_size / num_hidden_layers /
   num_attention_heads; bert.attention.layer_norm_epsilon FLOAT32 == float32(layer_norm_eps);
   bert.attention.causal (if present) BOOL false; bert.pooling_type (if present) UINT32 in 0..4 and, when
   --pooling is given, equal to it (mean 1, cls 2); general.file_type (if present) UINT32 matching --dtype
   (f32 0, f16 1, q8_0 7, bf16 32); when cls.output is written, bert.classifier.output_labels ARRAY[STRING]
   with one label per cls.output row, equal to config.json's id2label in id order.
3. Tokenizer: tokenizer.ggml.model "bert"; tokenizer.ggml.tokens ARRAY[STRING] with one entry per vocab.txt
   line, in the "phantom space" form llama.cpp's converter writes (special tokens unchanged, "##x" -> "x",
   any other token -> U+2581 + token); tokenizer.ggml.token_type ARRAY[INT32] (CONTROL 3 for the special
   tokens, NORMAL 1 otherwise); tokenizer.ggml.token_type_count (if present) UINT32 == type_vocab_size;
   the special ids present (unknown/padding/seperator/mask/bos/eos/cls _token_id, UINT32) point at [UNK],
   [PAD], [SEP], [MASK], [CLS], [CLS]/[SEP]; a special token whose id differs from llama.cpp's built-in
   "bert" default (unk 100, bos 101, sep 102, pad 0, mask 103) must have its key. Special tokens: those of
   special_tokens_map.json / tokenizer_config.json beside the vocabulary, else the five BERT ones.
4. Tensors: every source tensor (HF PyTorch names, "bert." prefix optional, .gamma/.beta accepted) maps to a
   GGUF tensor (token_embd, position_embd, token_types, token_embd_norm, blk.N.attn_q/attn_k/attn_v/
   attn_output/attn_output_norm/ffn_up/ffn_down/layer_output_norm, pooler.dense -> cls, classifier ->
   cls.output) or is one of the dropped ones (embeddings.position_ids, cls.predictions.*,
   cls.seq_relationship.*, and pooler.dense.* when the pooler is not kept); nothing unmapped on either side.
   --pooler auto (default) expects the pooler as `cls` exactly when the source has a classifier; keep/drop
   force it. Shapes: GGUF ne reversed == source shape (a trailing 1 in ne may be left out, as for a 1-label
   head). Types (--type-policy llama.cpp, default: what convert_hf_to_gguf.py picks): 1-D tensors, *_norm,
   position_embd, token_types -> F32; other 2-D weights -> --dtype, with q8_0 falling back to F16 when ne[0]
   is not a multiple of 32. --type-policy lenient also lets a 2-D weight be F32. Values (source f16/bf16
   widened exactly to float32 first): F32 bitwise == source; F16 bitwise == numpy float16 cast; BF16
   bitwise == round-to-nearest-even bf16 (NaN quieted, as ggml); Q8_0 bytewise == gguf.quants.quantize and
   dequantized |x - d16*q| <= d/2 + |d - d16|*127 + 2^-20*max|block| per block (d = max|block|/127 in float32,
   d16 its stored float16).
5. --embeddings-against HF_FOLDER --texts ...: llama_cpp.Llama(GGUF, embedding=True, pooling_type per
   --pooling (default mean), n_ctx = n_batch = n_ubatch = bert.context_length) embeds each text; transformers
   BertModel (float32, eval) from HF_FOLDER with its tokenizer gives last_hidden_state, pooled the same way
   (mean over attention_mask, or the [CLS] row). Cosine >= --min-cosine (default 1 - 1e-3) per text. The token
   ids of both tokenizers are reported too (tokens_equal) but only the cosine decides.

Prints one JSON object {"ok", "checks", "failures", "gguf", "source", "dtype", "dropped", "cosines"} (each check
{"check", "ok", "detail"}; failures = the details of the failed ones). Exit status 0 when every check
passed, 1 when one failed, 2 on a usage error (bad arguments, missing source/config/vocab, unreadable
safetensors).
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

ALIGN_DEFAULT = 32
DTYPES = ("f32", "f16", "bf16", "q8_0")
FILE_TYPE = {"f32": 0, "f16": 1, "q8_0": 7, "bf16": 32}
POOLING = {"mean": 1, "cls": 2}
BERT_DEFAULT_IDS = {"unk": 100, "bos": 101, "sep": 102, "pad": 0, "mask": 103}  # llama-vocab.cpp, "bert"
PHANTOM = "\u2581"
DEFAULT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
LAYER_MAP = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
TOP_MAP = {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.LayerNorm": "token_embd_norm",
    "pooler.dense": "cls",
    "classifier": "cls.output",
}
ALWAYS_F32 = ("position_embd.weight", "token_types.weight")


class UsageError(Exception):
    pass


class Report:
    def __init__(self, args):
        self.args = args
        self.checks = []
        self.dropped = []
        self.cosines = []

    def add(self, name, ok, detail=""):
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        return bool(ok)

    def ok(self):
        return bool(self.checks) and all(c["ok"] for c in self.checks)

    def as_json(self):
        return {
            "ok": self.ok(),
            "checks": self.checks,
            "failures": [f'{c["check"]}: {c["detail"]}' for c in self.checks if not c["ok"]],
            "gguf": self.args.gguf,
            "source": self.args.source,
            "dtype": self.args.dtype,
            "dropped": self.dropped,
            "cosines": self.cosines,
        }


# ---------------------------------------------------------------- source side (own safetensors reader)

ST_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": "bf16", "F64": np.float64,
             "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """name -> (dtype string, shape, np array widened exactly to float32 where floating, else raw ints)."""
    out = {}
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise UsageError(f"{path}: too short for safetensors")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > len(raw) - 8:
        raise UsageError(f"{path}: header length {hlen} beyond file")
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in ST_DTYPES:
            raise UsageError(f"{path}: tensor {name} has unsupported dtype {dt}")
        buf = raw[base + b: base + e]
        if dt == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=np.dtype(ST_DTYPES[dt]).newbyteorder("<"))
            if arr.dtype.kind == "f":
                arr = arr.astype(np.float32)  # exact for f16; f64 would round (not produced by HF BERT)
        out[name] = (dt, list(shape), arr.reshape(shape))
    return out


def load_source(src):
    """Returns (tensors dict, config dict, source folder)."""
    if os.path.isdir(src):
        folder = src
        for cand in ("model.safetensors", "model.safetensors.index.json"):
            if os.path.exists(os.path.join(src, cand)):
                src = os.path.join(src, cand)
                break
        else:
            raise UsageError(f"{folder}: no model.safetensors or model.safetensors.index.json")
    elif os.path.isfile(src):
        folder = os.path.dirname(os.path.abspath(src))
    else:
        raise UsageError(f"{src}: no such file or folder")
    tensors = {}
    if src.endswith(".index.json"):
        with open(src) as f:
            weight_map = json.load(f)["weight_map"]
        for shard in sorted(set(weight_map.values())):
            tensors.update(read_safetensors(os.path.join(folder, shard)))
        missing = set(weight_map) - set(tensors)
        if missing:
            raise UsageError(f"{src}: tensors named in weight_map but not in shards: {sorted(missing)[:5]}")
    else:
        tensors = read_safetensors(src)
    cfg_path = os.path.join(folder, "config.json")
    if not os.path.exists(cfg_path):
        raise UsageError(f"{cfg_path}: missing (needed for the hyper-parameters)")
    with open(cfg_path) as f:
        config = json.load(f)
    return tensors, config, folder


def gguf_name_for(hf_name, keep_pooler):
    """HF name -> (gguf name or None, reason-if-dropped)."""
    name = hf_name[5:] if hf_name.startswith("bert.") else hf_name
    if name.endswith(".gamma"):
        name = name[:-6] + ".weight"
    elif name.endswith(".beta"):
        name = name[:-5] + ".bias"
    if name == "embeddings.position_ids":
        return None, "position ids buffer"
    if name.startswith("cls.predictions.") or name.startswith("cls.seq_relationship."):
        return None, "pre-training head"
    if name.startswith("pooler.dense.") and not keep_pooler:
        return None, "pooler (not kept)"
    m = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)", name)
    if m:
        sub = LAYER_MAP.get(m.group(2))
        return (f"blk.{int(m.group(1))}.{sub}.{m.group(3)}", None) if sub else (False, "unmapped")
    m = re.fullmatch(r"(.+)\.(weight|bias)", name)
    if m and m.group(1) in TOP_MAP:
        return f"{TOP_MAP[m.group(1)]}.{m.group(2)}", None
    return False, "unmapped"


# ---------------------------------------------------------------- numeric references

def bf16_rne(x32):
    u = np.ascontiguousarray(x32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    r = np.where(nan, ((u >> 16) | 0x40), r)  # quiet NaN, sign and payload top bits kept
    return r.astype(np.uint16)


def q8_0_error_ok(src32, deq, blocks_d16):
    """Per-block bound for Q8_0: |x - d16*q| <= d/2 + |d - d16|*127 + 2^-20 * max|block|."""
    b = np.abs(src32.reshape(-1, 32)).max(axis=1)
    d = b / np.float32(127)
    d16 = blocks_d16.astype(np.float32)
    bound = d / 2 + np.abs(d - d16) * 127 + b * 2.0 ** -20
    err = np.abs(src32.reshape(-1, 32) - deq.reshape(-1, 32)).max(axis=1)
    if not err.size:
        return True, 0.0, (0.0, 0.0)
    worst = int(np.argmax(err - bound))
    return bool(np.all(err <= bound)), float(err.max()), (float(err[worst]), float(bound[worst]))


# ---------------------------------------------------------------- checks

def field_value(field):
    """field.contents(), except that strings that are not valid UTF-8 come back with U+FFFD instead of raising."""
    from gguf import GGUFValueType
    try:
        return field.contents()
    except UnicodeDecodeError:
        if field.types[0] == GGUFValueType.STRING:
            return bytes(field.parts[-1]).decode("utf-8", errors="replace")
        return [bytes(field.parts[i]).decode("utf-8", errors="replace") for i in field.data]


def invalid_utf8(field):
    """Indices of the string items of a STRING / ARRAY[STRING] field that are not valid UTF-8."""
    bad = []
    for n, i in enumerate(field.data):
        try:
            bytes(field.parts[i]).decode("utf-8")
        except UnicodeDecodeError:
            bad.append(n)
    return bad


def type_name(field):
    from gguf import GGUFValueType
    t = field.types[0]
    if t == GGUFValueType.ARRAY and len(field.types) > 1:
        return f"ARRAY[{field.types[1].name}]"
    return t.name


def check_container(rep, reader, path):
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
    with open(path, "rb") as f:
        head = f.read(8)
    magic_ok = head[:4] == b"GGUF"
    version = struct.unpack("<I", head[4:8])[0] if len(head) == 8 else None
    rep.add("magic_version", magic_ok and version == 3,
            f"magic {head[:4]!r}, version {version} (must be little-endian GGUF v3)")
    align_field = reader.fields.get("general.alignment")
    if align_field is None:
        align = ALIGN_DEFAULT
        rep.add("alignment", reader.alignment == 32, "general.alignment absent (default 32)")
    else:
        align = int(field_value(align_field))
        rep.add("alignment", type_name(align_field) == "UINT32" and align == 32,
                f"general.alignment {type_name(align_field)} = {align} (must be absent or UINT32 32)")
    data_start = reader.data_offset
    file_size = os.path.getsize(path)
    # header end = end of the last tensor info (or of the last KV when there are no tensors)
    last = reader.tensors[-1].field if reader.tensors else list(reader.fields.values())[-1]
    header_end = last.offset + sum(int(p.nbytes) for p in last.parts)
    pad_ok = data_start % align == 0 and data_start - header_end < align and data_start >= header_end
    rep.add("data_start", pad_ok, f"header ends at {header_end}, data section at {data_start} (align {align})")
    mm = reader.data
    problems, pad_nonzero = [], []
    if any(mm[header_end:data_start]):
        pad_nonzero.append(f"header padding {header_end}..{data_start}")
    expected, names, spans = 0, set(), []
    for t in reader.tensors:
        ttype = GGMLQuantizationType(t.tensor_type)
        ne = [int(x) for x in t.shape]
        block, tsize = GGML_QUANT_SIZES[ttype]
        rel = t.data_offset - data_start
        if len(t.name.encode()) >= 64:
            problems.append(f"{t.name}: name >= 64 bytes")
        if t.name in names:
            problems.append(f"{t.name}: duplicate name")
        names.add(t.name)
        if len(ne) > 4 or len(ne) < 1:
            problems.append(f"{t.name}: {len(ne)} dims")
        if ne and ne[0] % block:
            problems.append(f"{t.name}: ne[0]={ne[0]} not a multiple of {ttype.name} block {block}")
        nbytes = int(np.prod(ne, dtype=object)) // block * tsize
        if rel % align:
            problems.append(f"{t.name}: offset {rel} not aligned to {align}")
        if rel != expected:
            problems.append(f"{t.name}: offset {rel}, expected {expected} (infos must be in data order, no gaps)")
        spans.append((t.data_offset, t.data_offset + nbytes, t.name))
        expected = rel + nbytes + (-nbytes) % align
    total = expected
    spans.sort()
    for (s0, e0, n0), (s1, e1, n1) in zip(spans, spans[1:]):
        if s1 < e0:
            problems.append(f"{n1} overlaps {n0}")
        elif any(mm[e0:s1]):
            pad_nonzero.append(f"padding after {n0}")
    prev_end = spans[-1][1] if spans else None
    rep.add("tensor_layout", not problems,
            "; ".join(problems[:8]) if problems else
            f"{len(reader.tensors)} tensors in data order, aligned, no gaps, data {total} bytes")
    end_ok = data_start + total <= file_size
    rep.add("data_in_file", end_ok,
            f"data end {data_start + total} (padded), file size {file_size}"
            + ("" if data_start + total == file_size else f", {file_size - data_start - total} trailing bytes"))
    if prev_end is not None and end_ok and any(mm[prev_end:data_start + total]):
        pad_nonzero.append("padding after the last tensor")
    rep.add("padding_zero", not pad_nonzero, "; ".join(pad_nonzero) if pad_nonzero else "all padding bytes 0x00")


def check_kv(rep, reader, key, want_type, want_value=None, required=True, compare=None):
    f = reader.fields.get(key)
    if f is None:
        return rep.add(key, not required, "absent" + (" (required)" if required else " (optional)"))
    tn, val = type_name(f), field_value(f)
    ok = tn == want_type
    if want_value is not None:
        ok = ok and (compare(val, want_value) if compare else val == want_value)
    shown = val if not isinstance(val, list) else f"[{len(val)} items] {val[:5]}"
    return rep.add(key, ok, f"{tn} = {shown!r}" + (f" (want {want_type} {want_value!r})" if not ok else ""))


def check_metadata(rep, reader, cfg, args, has_cls_out, cls_out_rows):
    check_kv(rep, reader, "general.architecture", "STRING", "bert")
    for key, ck in (("bert.context_length", "max_position_embeddings"), ("bert.embedding_length", "hidden_size"),
                    ("bert.feed_forward_length", "intermediate_size"), ("bert.block_count", "num_hidden_layers"),
                    ("bert.attention.head_count", "num_attention_heads")):
        if ck not in cfg:
            rep.add(key, False, f"config.json has no {ck}")
            continue
        check_kv(rep, reader, key, "UINT32", int(cfg[ck]))
    eps = np.float32(cfg.get("layer_norm_eps", 1e-12))
    check_kv(rep, reader, "bert.attention.layer_norm_epsilon", "FLOAT32", float(eps),
             compare=lambda v, w: np.float32(v) == np.float32(w))
    check_kv(rep, reader, "bert.attention.causal", "BOOL", False, required=False)
    if args.pooling:
        check_kv(rep, reader, "bert.pooling_type", "UINT32", POOLING[args.pooling], required=False)
    else:
        check_kv(rep, reader, "bert.pooling_type", "UINT32", [0, 1, 2, 3, 4], required=False,
                 compare=lambda v, w: v in w)
    check_kv(rep, reader, "general.file_type", "UINT32", FILE_TYPE[args.dtype], required=False)
    lab = reader.fields.get("bert.classifier.output_labels")
    if has_cls_out:
        id2label = cfg.get("id2label") or {}
        want = [id2label[str(i)] if str(i) in id2label else id2label.get(i) for i in range(len(id2label))]
        if cls_out_rows > 1 or lab is not None:
            check_kv(rep, reader, "bert.classifier.output_labels", "ARRAY[STRING]", want if want else None,
                     compare=lambda v, w: list(v) == list(w))
            if lab is not None:
                n = len(field_value(lab))
                rep.add("classifier_label_count", n == cls_out_rows,
                        f"{n} labels, cls.output has {cls_out_rows} rows (llama.cpp sizes cls.output by the labels;"
                        " without them n_cls_out = 1)")
    elif lab is not None:
        rep.add("bert.classifier.output_labels", False, "present but no cls.output tensor")


def special_tokens(vocab_path):
    folder = os.path.dirname(os.path.abspath(vocab_path))
    found = {}
    stm = os.path.join(folder, "special_tokens_map.json")
    tc = os.path.join(folder, "tokenizer_config.json")
    for path in (stm, tc):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            data = json.load(f)
        for k in ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
            v = data.get(k)
            if isinstance(v, dict):
                v = v.get("content")
            if isinstance(v, str):
                found.setdefault(k, v)
        for v in (data.get("added_tokens_decoder") or {}).values():
            if v.get("special"):
                found.setdefault("added:" + v["content"], v["content"])
    if not found:
        found = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                 "cls_token": "[CLS]", "mask_token": "[MASK]"}
    return found


def check_tokenizer(rep, reader, vocab_path, cfg):
    with open(vocab_path, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f.readlines()]  # as transformers' load_vocab
    index = {}
    for i, tok in enumerate(vocab):
        index.setdefault(tok, i)
    specials = special_tokens(vocab_path)
    control = {t for t in specials.values() if t in index}
    check_kv(rep, reader, "tokenizer.ggml.model", "STRING", "bert")
    tf = reader.fields.get("tokenizer.ggml.tokens")
    if tf is None or type_name(tf) != "ARRAY[STRING]":
        rep.add("tokenizer.ggml.tokens", False, "absent or not ARRAY[STRING]")
        return
    toks = field_value(tf)
    bad_utf8 = invalid_utf8(tf)
    rep.add("token_utf8", not bad_utf8, f"{len(bad_utf8)} tokens are not valid UTF-8: {bad_utf8[:5]}" if bad_utf8
            else "all tokens valid UTF-8")
    rep.add("token_count", len(toks) == len(vocab), f"{len(toks)} tokens, vocab.txt has {len(vocab)} lines")
    want = [t if t in control else (t[2:] if t.startswith("##") else PHANTOM + t) for t in vocab]
    bad = [i for i in range(min(len(toks), len(want))) if toks[i] != want[i]]
    rep.add("token_strings", not bad and len(toks) == len(want),
            f"{len(bad)} differ from the phantom-space form of vocab.txt; first: "
            + ", ".join(f"{i}: {toks[i]!r} want {want[i]!r}" for i in bad[:5]) if bad else
            f"phantom-space form of vocab.txt; {len(control)} control tokens unchanged")
    ttf = reader.fields.get("tokenizer.ggml.token_type")
    if ttf is None or type_name(ttf) != "ARRAY[INT32]":
        rep.add("tokenizer.ggml.token_type", False, "absent or not ARRAY[INT32]" +
                (f" ({type_name(ttf)})" if ttf is not None else ""))
    else:
        tt = [int(x) for x in field_value(ttf)]
        want_t = [3 if t in control else 1 for t in vocab]
        bad = [i for i in range(min(len(tt), len(want_t))) if tt[i] != want_t[i]]
        rep.add("tokenizer.ggml.token_type", not bad and len(tt) == len(vocab),
                f"{len(tt)} types; " + (", ".join(f"{i} ({vocab[i]}): {tt[i]} want {want_t[i]}" for i in bad[:5])
                                        if bad else "CONTROL(3) for special tokens, NORMAL(1) otherwise"))
    if "tokenizer.ggml.token_type_count" in reader.fields or "type_vocab_size" in cfg:
        check_kv(rep, reader, "tokenizer.ggml.token_type_count", "UINT32", int(cfg.get("type_vocab_size", 2)),
                 required=False)
    # special ids
    roles = {"unk": specials.get("unk_token"), "padding": specials.get("pad_token"),
             "seperator": specials.get("sep_token"), "mask": specials.get("mask_token"),
             "bos": specials.get("cls_token"), "cls": specials.get("cls_token"),
             "eos": specials.get("sep_token")}
    key_of = {"unk": "unknown"}
    defaults = {"unk": BERT_DEFAULT_IDS["unk"], "bos": BERT_DEFAULT_IDS["bos"], "seperator": BERT_DEFAULT_IDS["sep"],
                "padding": BERT_DEFAULT_IDS["pad"], "mask": BERT_DEFAULT_IDS["mask"]}
    for role, tok in roles.items():
        key = f"tokenizer.ggml.{key_of.get(role, role)}_token_id"
        if tok is None or tok not in index:
            if key in reader.fields:
                rep.add(key, False, f"present, but the vocabulary has no {role} token")
            continue
        required = role in defaults and defaults[role] != index[tok]
        check_kv(rep, reader, key, "UINT32", index[tok], required=required)


def expected_type(gname, ne, dtype, policy):
    """Allowed GGML type names for a tensor, per convert_hf_to_gguf.py (and lenient policy)."""
    if len(ne) <= 1 or gname.endswith("_norm.weight") or gname in ALWAYS_F32 or not gname.endswith(".weight"):
        return ["F32"]
    want = {"f32": "F32", "f16": "F16", "bf16": "BF16", "q8_0": "Q8_0"}[dtype]
    if want == "Q8_0" and ne[0] % 32:
        want = "F16"
    return [want] + (["F32"] if policy == "lenient" and want != "F32" else [])


def tensor_bytes(reader, t):
    start = t.data_offset
    return np.asarray(reader.data[start:start + t.n_bytes])


def check_tensor_values(t, raw, src32, ttype):
    """Returns (ok, detail). raw: the tensor's bytes in the GGUF; src32: float32 source values (numpy order)."""
    from gguf import quants, GGMLQuantizationType
    flat = np.ascontiguousarray(src32, dtype=np.float32).reshape(-1)
    if ttype == "F32":
        got = raw.view("<u4")
        want = flat.view(np.uint32)
        n = int(np.count_nonzero(got != want))
        return n == 0, f"F32 bitwise == source ({n} differ)" if n else "F32 bitwise == source"
    if ttype == "F16":
        got = raw.view("<u2")
        want = flat.astype(np.float16).view(np.uint16)
        n = int(np.count_nonzero(got != want))
        mx = float(np.max(np.abs(raw.view("<f2").astype(np.float32) - flat), initial=0.0))
        return n == 0, (f"F16 bitwise == float16(source)" if n == 0 else
                        f"F16: {n} of {flat.size} differ from float16(source), max |diff| {mx:.3g}")
    if ttype == "BF16":
        got = raw.view("<u2")
        want = bf16_rne(flat)
        n = int(np.count_nonzero(got != want))
        return n == 0, ("BF16 bitwise == round-to-nearest-even bf16(source)" if n == 0 else
                        f"BF16: {n} of {flat.size} differ from RNE bf16(source)")
    if ttype == "Q8_0":
        rows = src32.reshape(-1, src32.shape[-1]) if src32.ndim > 1 else src32.reshape(1, -1)
        want = np.asarray(quants.quantize(np.ascontiguousarray(rows, dtype=np.float32),
                                          GGMLQuantizationType.Q8_0)).reshape(-1)
        n = int(np.count_nonzero(raw != want))
        blocks = raw.reshape(-1, 34)
        d16 = blocks[:, :2].copy().view("<f2").reshape(-1)
        deq = np.asarray(quants.dequantize(raw.reshape(rows.shape[0], -1), GGMLQuantizationType.Q8_0)).reshape(-1)
        err_ok, max_err, bound = q8_0_error_ok(flat, deq, d16)
        ok = n == 0 and err_ok
        return ok, (f"Q8_0 bytes {'==' if n == 0 else '!='} gguf.quants.quantize(source)"
                    + (f" ({n} of {raw.size} bytes differ)" if n else "")
                    + f"; max |deq - src| {max_err:.3g}, per-block bound {'held' if err_ok else 'EXCEEDED'}"
                    + ("" if err_ok else f" (worst block: error {bound[0]:.3g} > bound {bound[1]:.3g})"))
    return False, f"type {ttype} not expected in a BERT GGUF"


def check_tensors(rep, reader, source, args, keep_pooler):
    from gguf import GGMLQuantizationType
    by_name = {t.name: t for t in reader.tensors}
    used = set()
    mapping_problems = []
    for hf, (dt, shape, arr) in source.items():
        gname, why = gguf_name_for(hf, keep_pooler)
        if gname is None:
            rep.dropped.append(f"{hf} ({why})")
            continue
        if gname is False:
            mapping_problems.append(f"source tensor {hf} has no GGUF name")
            continue
        t = by_name.get(gname)
        if t is None:
            rep.add(f"tensor {gname}", False, f"missing (source {hf} {dt} {shape})")
            continue
        if gname in used:
            mapping_problems.append(f"{gname} is the target of two source tensors")
        used.add(gname)
        ne = [int(x) for x in t.shape]
        ttype = GGMLQuantizationType(t.tensor_type).name

        def strip(dims):
            dims = list(dims)
            while len(dims) > 1 and dims[-1] == 1:
                dims.pop()
            return dims
        src_ne = list(reversed(shape))
        if strip(ne) != strip(src_ne):
            rep.add(f"tensor {gname}", False, f"ne {ne} != reversed source shape {src_ne} ({hf})")
            continue
        allowed = expected_type(gname, src_ne, args.dtype, args.type_policy)
        if ttype not in allowed:
            rep.add(f"tensor {gname}", False, f"type {ttype}, expected {'/'.join(allowed)} for --dtype {args.dtype}")
            continue
        if arr.dtype.kind != "f":
            rep.add(f"tensor {gname}", False, f"source {hf} is {dt}, not floating point")
            continue
        ok, detail = check_tensor_values(t, tensor_bytes(reader, t), arr, ttype)
        rep.add(f"tensor {gname}", ok, f"{ttype} ne={ne} <- {hf} ({dt}): {detail}")
    extra = [n for n in by_name if n not in used]
    rep.add("tensor_mapping", not mapping_problems and not extra,
            "; ".join(mapping_problems + [f"GGUF tensor {n} has no source tensor" for n in extra][:10])
            if (mapping_problems or extra) else
            f"{len(used)} source tensors mapped, {len(rep.dropped)} dropped, no extra GGUF tensors")
    return by_name


# ---------------------------------------------------------------- embeddings

def check_embeddings(rep, gguf_path, hf_folder, texts, pooling, ctx, min_cos):
    import torch
    import transformers
    from transformers import AutoTokenizer, BertModel
    import llama_cpp
    transformers.logging.set_verbosity_error()  # "weights not used: pooler" is expected here
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    tok = AutoTokenizer.from_pretrained(hf_folder)
    model = BertModel.from_pretrained(hf_folder, add_pooling_layer=False, dtype=torch.float32).eval()
    ptype = llama_cpp.LLAMA_POOLING_TYPE_MEAN if pooling == "mean" else llama_cpp.LLAMA_POOLING_TYPE_CLS
    llm = llama_cpp.Llama(model_path=gguf_path, embedding=True, pooling_type=ptype, n_ctx=ctx, n_batch=ctx,
                          n_ubatch=ctx, n_threads=max(1, min(4, os.cpu_count() or 1)), verbose=False)
    for text in texts:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state[0].double()
        mask = enc["attention_mask"][0].double()
        ref = (hidden * mask[:, None]).sum(0) / mask.sum() if pooling == "mean" else hidden[0]
        emb = np.asarray(llm.embed(text, normalize=False), dtype=np.float64).reshape(-1)
        ref = ref.numpy()
        ok_shape = emb.shape == ref.shape
        cos = float(emb @ ref / (np.linalg.norm(emb) * np.linalg.norm(ref))) if ok_shape else float("nan")
        ids_hf = enc["input_ids"][0].tolist()
        ids_llama = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        rep.cosines.append({"text": text, "cosine": cos, "tokens_equal": ids_hf == list(ids_llama),
                            "n_tokens": len(ids_hf)})
        rep.add(f"embedding {text[:40]!r}", ok_shape and cos >= min_cos,
                f"cosine {cos:.7f} (min {min_cos}), {pooling} pooling, {len(ids_hf)} tokens, "
                f"llama.cpp tokens {'==' if ids_hf == list(ids_llama) else '!='} HF tokens"
                + ("" if ok_shape else f", shape {emb.shape} vs {ref.shape}"))
    del llm


# ---------------------------------------------------------------- main

def check_classification(rep, gguf_path, golden_path, vocab_path, ctx, atol):
    """llama.cpp's classification (RANK) pooling against the framework's logits: for every golden row with one
    segment (token_type_ids all 0), the text is rebuilt from the golden's ids and vocab.txt, llama.cpp must tokenize
    it to the same ids, and the first num_labels values llama.cpp returns must equal the golden logits within atol.
    With the pooler kept as `cls`, llama.cpp computes classifier(tanh(pooler(h_CLS))) as transformers does."""
    import llama_cpp
    golden = json.load(open(golden_path))
    vocab = open(vocab_path, encoding="utf-8").read().split("\n")
    llm = llama_cpp.Llama(model_path=gguf_path, embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_RANK,
                          n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, verbose=False)
    inputs = golden["inputs"]
    compared = 0
    for ids, mask, types, want in zip(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"],
                                      golden["outputs"]["logits"]):
        n = sum(mask)
        if any(types[:n]):
            continue  # llama.cpp feeds token type 0 everywhere: a pair's second segment is not comparable
        words = []
        for i in ids[1:n - 1]:
            piece = vocab[i]
            if piece.startswith("##") and words:
                words[-1] += piece[2:]
            else:
                words.append(piece)
        text = " ".join(words)
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True)
        if tokens != ids[:n]:
            rep.add("classification", False, f"llama.cpp tokenizes {text!r} as {tokens}, the golden has {ids[:n]}")
            return
        got = np.asarray(llm.embed(text, normalize=False)[:len(want)], dtype=np.float64)
        diff = float(np.abs(got - np.asarray(want, dtype=np.float64)).max())
        rep.add("classification", diff <= atol, f"{text!r}: llama.cpp {np.round(got, 7).tolist()} vs golden "
                f"{np.round(want, 7).tolist()}, max |diff| {diff:.2e} (atol {atol})")
        compared += 1
    if compared == 0:
        rep.add("classification", False, "the golden file has no single-segment row to compare")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--source", required=True, help="model.safetensors, its index.json, or their folder")
    parser.add_argument("--dtype", required=True, choices=DTYPES)
    parser.add_argument("--vocab", help="vocab.txt (default: beside the source)")
    parser.add_argument("--embeddings-against", metavar="HF_FOLDER")
    parser.add_argument("--texts", nargs="+")
    parser.add_argument("--pooling", choices=sorted(POOLING))
    parser.add_argument("--pooler", choices=("auto", "keep", "drop"), default="auto")
    parser.add_argument("--type-policy", choices=("llama.cpp", "lenient"), default="llama.cpp")
    parser.add_argument("--min-cosine", type=float, default=1 - 1e-3)
    parser.add_argument("--classify-against", metavar="GOLDEN",
                        help="golden.json of a sequence classifier: llama.cpp's RANK pooling must give its logits")
    parser.add_argument("--classify-atol", type=float, default=1e-5)
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        if not os.path.isfile(args.gguf):
            raise UsageError(f"{args.gguf}: no such file")
        if bool(args.embeddings_against) != bool(args.texts):
            raise UsageError("--embeddings-against and --texts go together")
        if args.embeddings_against and not os.path.isdir(args.embeddings_against):
            raise UsageError(f"{args.embeddings_against}: not a folder")
        source, cfg, folder = load_source(args.source)
        vocab = args.vocab or os.path.join(folder, "vocab.txt")
        if not os.path.isfile(vocab):
            raise UsageError(f"{vocab}: no vocabulary to compare the tokens with (give --vocab)")
    except (UsageError, OSError, ValueError, KeyError) as e:
        print(json.dumps({"ok": False, "checks": [], "failures": [f"usage: {e}"], "usage_error": str(e)}))
        return 2

    rep = Report(args)
    from gguf import GGUFReader
    try:
        reader = GGUFReader(args.gguf)
    except Exception as e:  # the framework's reader refuses the file
        rep.add("gguf_parse", False, f"gguf.GGUFReader: {type(e).__name__}: {e}")
        print(json.dumps(rep.as_json(), indent=1))
        return 1
    rep.add("gguf_parse", True, f"gguf.GGUFReader: {len(reader.fields)} fields, {len(reader.tensors)} tensors")
    try:
        static_checks(rep, reader, source, cfg, vocab, args)
    except Exception as e:  # a malformed file must fail a check, never crash the checker
        rep.add("internal", False, f"checker stopped on {type(e).__name__}: {e}")
    # Runtime checks in llama.cpp, each only once the file passed the static ones.
    runtime = []
    if args.embeddings_against:
        runtime.append(("embeddings", lambda ctx: check_embeddings(rep, args.gguf, args.embeddings_against, args.texts,
                                                                   args.pooling or "mean", ctx, args.min_cosine)))
    if args.classify_against:
        runtime.append(("classification", lambda ctx: check_classification(rep, args.gguf, args.classify_against, vocab, ctx,
                                                                           args.classify_atol)))
    for name, run in runtime:
        if not rep.ok():
            rep.add(name, False, "skipped: static checks failed")
            continue
        try:
            run(int(field_value(reader.fields["bert.context_length"])))
        except Exception as e:
            rep.add(name, False, f"{type(e).__name__}: {e}")
    print(json.dumps(rep.as_json(), indent=1, ensure_ascii=False))
    return 0 if rep.ok() else 1


def static_checks(rep, reader, source, cfg, vocab, args):
    check_container(rep, reader, args.gguf)

    has_classifier = any(gguf_name_for(n, True)[0] in ("cls.output.weight", "cls.output.bias") for n in source)
    keep_pooler = {"keep": True, "drop": False, "auto": has_classifier}[args.pooler]
    by_name = check_tensors(rep, reader, source, args, keep_pooler)
    cls_out = by_name.get("cls.output.weight")
    rows = 0
    if cls_out is not None:
        ne = [int(x) for x in cls_out.shape]
        rows = ne[1] if len(ne) > 1 else 1
    check_metadata(rep, reader, cfg, args, cls_out is not None, rows)
    check_tokenizer(rep, reader, vocab, cfg)
    tok_embd = by_name.get("token_embd.weight")
    tf = reader.fields.get("tokenizer.ggml.tokens")
    if tok_embd is not None and tf is not None:
        n_rows = int(tok_embd.shape[1]) if len(tok_embd.shape) > 1 else 1
        n_tok = len(field_value(tf))
        rep.add("vocab_vs_token_embd", n_rows == n_tok, f"{n_tok} tokens, token_embd has {n_rows} rows")


if __name__ == "__main__":
    sys.exit(main())
