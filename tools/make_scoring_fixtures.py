"""Writes fixtures/seqcls-scoring/: sequence classifiers whose logits transformers' text-classification pipeline
turns into scores other than a softmax.

    /root/refenv/bin/python tools/make_scoring_fixtures.py fixtures

Each subfolder is `BertForSequenceClassification(BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=2,
num_attention_heads=2, intermediate_size=32, max_position_embeddings=32, …)).save_pretrained(dir)` (torch,
transformers 4.57.6; seeded, then normal(0, 0.3) noise on every tensor) with a 100-word vocab.txt and its
BertTokenizer files (do_lower_case false): `multi-label/` (num_labels 3, problem_type multi_label_classification: a
sigmoid per label), `single-output/` (num_labels 1, no problem_type: a sigmoid) and `regression/` (num_labels 1,
problem_type regression: the raw output). reference.json holds, per folder and text, the logits and what
`pipeline("text-classification", top_k=None)` returns.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import transformers
from fixture_common import fresh_folder, save_noisy, word_vocab  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer, pipeline

MODELS = {
    "multi-label": {"num_labels": 3, "problem_type": "multi_label_classification"},
    "single-output": {"num_labels": 1},
    "regression": {"num_labels": 1, "problem_type": "regression"},
}
TEXTS = ["w5 w6 w7", "w40 w41", "w90 w3 w17 w17"]


def main():
    out = fresh_folder(os.path.join(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "fixtures"), "seqcls-scoring"))
    torch.manual_seed(7201)
    torch.use_deterministic_algorithms(True)
    vocab = word_vocab()
    reference = {"writer": f"torch {torch.__version__} / transformers {transformers.__version__}",
                 "command": "/root/refenv/bin/python tools/make_scoring_fixtures.py fixtures",
                 "call": 'pipeline("text-classification", model=model, tokenizer=tokenizer, top_k=None)(text)',
                 "models": {}}
    for name, extra in MODELS.items():
        model = BertForSequenceClassification(BertConfig(
            vocab_size=100, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=32, **extra)).eval()
        folder = os.path.join(out, name)
        save_noisy(model, folder, 0.3, vocab)
        tokenizer = BertTokenizer(os.path.join(folder, "vocab.txt"), do_lower_case=False)
        tokenizer.save_pretrained(folder)
        classify = pipeline("text-classification", model=model, tokenizer=tokenizer, top_k=None)
        rows = []
        for text in TEXTS:
            with torch.no_grad():
                logits = model(**tokenizer(text, return_tensors="pt")).logits[0].tolist()
            scores = classify([text])[0]
            rows.append({"text": text, "logits": logits,
                         "pipeline": [{"label": s["label"], "score": s["score"]} for s in scores]})
        reference["models"][name] = {"config": extra, "texts": rows}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
