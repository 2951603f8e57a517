"""Writes fixtures/bert-variants/: BERT models whose config.json changes what the encoder computes, so that the
runtime must refuse them rather than give other outputs.

    /root/refenv/bin/python tools/make_variant_fixtures.py fixtures

Each subfolder is `BertForSequenceClassification(BertConfig(...)).save_pretrained(dir)` (transformers 4.57.6, torch,
seeded, then normal(0, 0.2) noise on every tensor) plus a 100-word vocab.txt: `relative-key/` (position_embedding_type "relative_key": per-layer
distance_embedding tensors), `relative-key-query/` ("relative_key_query") and `decoder/` (is_decoder true: causal
self-attention, no extra tensors). reference.json holds, per folder, transformers' logits for reference input ids
and the logits of the same weights run as a plain BERT (position_embedding_type "absolute", is_decoder false), which
differ: the outputs a runtime ignoring the setting would give.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import transformers
from fixture_common import fresh_folder, save_noisy, word_vocab  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification

VARIANTS = {
    "relative-key": {"position_embedding_type": "relative_key"},
    "relative-key-query": {"position_embedding_type": "relative_key_query"},
    "decoder": {"is_decoder": True},
}
BASE = dict(vocab_size=100, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=32, num_labels=2)
IDS = [[2, 10, 11, 12, 13, 3], [2, 20, 21, 3, 0, 0]]
MASK = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]


def main():
    out = fresh_folder(os.path.join(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "fixtures"), "bert-variants"))
    torch.manual_seed(7101)
    torch.use_deterministic_algorithms(True)
    vocab = word_vocab()
    ids, mask = torch.tensor(IDS), torch.tensor(MASK)
    reference = {"writer": f"torch {torch.__version__} / transformers {transformers.__version__}",
                 "command": "/root/refenv/bin/python tools/make_variant_fixtures.py fixtures",
                 "inputs": {"input_ids": IDS, "attention_mask": MASK}, "variants": {}}
    for name, setting in VARIANTS.items():
        model = BertForSequenceClassification(BertConfig(**BASE, **setting)).eval()
        save_noisy(model, os.path.join(out, name), 0.2, vocab)
        plain = BertForSequenceClassification(BertConfig(**BASE)).eval()
        missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask).logits.tolist()
            as_plain = plain(input_ids=ids, attention_mask=mask).logits.tolist()
        assert max(abs(a - b) for r, q in zip(logits, as_plain) for a, b in zip(r, q)) > 1e-4, name
        reference["variants"][name] = {"setting": setting, "logits": logits, "logits_as_plain_bert": as_plain,
                                       "tensors_a_plain_bert_does_not_use": sorted(unexpected)}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
