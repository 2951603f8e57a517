"""Writes a bert-base-sized BertForSequenceClassification checkpoint with random weights: model.safetensors (HF
PyTorch names, float32) and config.json, the shapes of bert-base-uncased (hidden 768, 12 layers, 12 heads,
intermediate 3072, vocab 30522, 512 positions, 2 labels), ~438 MB.

Needs only numpy (no torch, no safetensors package), so it runs on a GPU machine without internet. Weights follow
BertPreTrainedModel._init_weights: normal(0, 0.02) for matrices and embeddings, LayerNorm weight 1, biases 0, then
every LayerNorm parameter and bias gets normal(0, 0.02) noise so that none is trivially 0 or 1. Seeded: the same
file on every machine.

Run: python3 tools/make_bert_base.py OUTPUT_FOLDER
"""
import json
import os
import sys

import numpy as np

HIDDEN, LAYERS, HEADS, INTERMEDIATE, VOCAB, POSITIONS, TYPES, LABELS = 768, 12, 12, 3072, 30522, 512, 2, 2


def parameters():
    """(name, shape, kind) in the order transformers' BertForSequenceClassification.state_dict() lists them."""
    yield "bert.embeddings.word_embeddings.weight", (VOCAB, HIDDEN), "matrix"
    yield "bert.embeddings.position_embeddings.weight", (POSITIONS, HIDDEN), "matrix"
    yield "bert.embeddings.token_type_embeddings.weight", (TYPES, HIDDEN), "matrix"
    yield "bert.embeddings.LayerNorm.weight", (HIDDEN,), "gamma"
    yield "bert.embeddings.LayerNorm.bias", (HIDDEN,), "bias"
    for layer in range(LAYERS):
        prefix = f"bert.encoder.layer.{layer}."
        for name, rows, columns in (("attention.self.query", HIDDEN, HIDDEN), ("attention.self.key", HIDDEN, HIDDEN),
                                    ("attention.self.value", HIDDEN, HIDDEN), ("attention.output.dense", HIDDEN, HIDDEN)):
            yield prefix + name + ".weight", (rows, columns), "matrix"
            yield prefix + name + ".bias", (rows,), "bias"
        yield prefix + "attention.output.LayerNorm.weight", (HIDDEN,), "gamma"
        yield prefix + "attention.output.LayerNorm.bias", (HIDDEN,), "bias"
        yield prefix + "intermediate.dense.weight", (INTERMEDIATE, HIDDEN), "matrix"
        yield prefix + "intermediate.dense.bias", (INTERMEDIATE,), "bias"
        yield prefix + "output.dense.weight", (HIDDEN, INTERMEDIATE), "matrix"
        yield prefix + "output.dense.bias", (HIDDEN,), "bias"
        yield prefix + "output.LayerNorm.weight", (HIDDEN,), "gamma"
        yield prefix + "output.LayerNorm.bias", (HIDDEN,), "bias"
    yield "bert.pooler.dense.weight", (HIDDEN, HIDDEN), "matrix"
    yield "bert.pooler.dense.bias", (HIDDEN,), "bias"
    yield "classifier.weight", (LABELS, HIDDEN), "matrix"
    yield "classifier.bias", (LABELS,), "bias"


def main(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20240611)
    tensors, header, offset = [], {}, 0
    for name, shape, kind in parameters():
        values = rng.normal(0.0, 0.02, size=shape).astype(np.float32)
        if kind == "gamma":
            values += np.float32(1)
        data = values.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        tensors.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "writer": "tools/make_bert_base.py (numpy, seeded random weights)"}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data section starts 8-byte aligned, so f32 tensors map in place
    with open(os.path.join(folder, "model.safetensors"), "wb") as file:
        file.write(len(encoded).to_bytes(8, "little"))
        file.write(encoded)
        for data in tensors:
            file.write(data)
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "intermediate_size": INTERMEDIATE, "vocab_size": VOCAB, "max_position_embeddings": POSITIONS,
        "type_vocab_size": TYPES, "layer_norm_eps": 1e-12, "initializer_range": 0.02, "pad_token_id": 0,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "position_embedding_type": "absolute",
        "id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    }
    with open(os.path.join(folder, "config.json"), "w") as file:
        json.dump(config, file, indent=2)
    print(f"wrote {folder}/model.safetensors ({8 + len(encoded) + offset:,} bytes) and config.json")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 tools/make_bert_base.py OUTPUT_FOLDER")
    main(sys.argv[1])
