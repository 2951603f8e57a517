#!/usr/bin/env python3
"""Writes fixtures/eval-sentiment/: the notebook's evaluate step (predict, argmax, scikit-learn metrics).

    TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_eval_fixtures.py fixtures

Same reference environment as tools/make_fixtures.py (tools/requirements.txt) plus scikit-learn
(`/root/refenv/bin/pip install scikit-learn==1.9.1`, which brings scipy, joblib, threadpoolctl); TensorFlow
is loaded only because make_fixtures (imported for the environment) imports it. Run it after
tools/make_fixtures.py: it reads fixtures/pt-seqcls (the starting weights, config.json with id2label
{0: negative, 1: positive}, and the tokenizer files) and deletes and rewrites only fixtures/eval-sentiment/.

- model/: pt-seqcls' BertForSequenceClassification (hidden 32, 2 layers, vocab 2000, 2 labels) fine-tuned
  for 64 seeded AdamW steps (lr 3e-3, batches of 32: 4 passes over 512 seeded synthetic reviews, which are
  not written; recipe, seeds and losses are in reference.json) to about 0.78 test accuracy, then
  `save_pretrained(dir, safe_serialization=True)` (model.safetensors, config.json) plus pt-seqcls'
  vocab.txt, tokenizer_config.json (do_lower_case true) and special_tokens_map.json.
- test.csv: 200 seeded synthetic reviews from the same generator (other seed), header `id,review,label`,
  written by Python's csv.writer (RFC 4180, QUOTE_MINIMAL, every record ends with "\\r\\n"; a newline
  inside a quoted review is a bare "\\n"). Labels are the id2label names "negative" / "positive".
  Reviews with commas, with double quotes (escaped as ""), with embedded newlines, with non-ASCII
  characters, and a handful longer than 64 tokens are guaranteed (asserted) and listed in reference.json.
- test.jsonl: the same rows as {"text": review, "label": 0|1}, one per line ("\\n"), UTF-8 unescaped.
- test.tsv: header `text<TAB>label`, then every row with each "\\n" of the review replaced by a space (no
  review contains a tab or "\\r", none starts with a double quote; nothing is quoted) and the integer label.
  BERT's tokenizer treats "\\n" and " " alike, so its numbers equal test.csv's (asserted).
- perturbed/: model/ with seeded normal noise added to classifier.weight only (same config and tokenizer
  files), so that a handful of the 200 predictions flip (asserted 5..20).
- reference.json: the writer block, recipes, and for each test file (read back from disk with its
  ordinary reader) the per-example predictions of model/ (`BertTokenizer.from_pretrained(model_dir)`
  called on batches of 32 texts in file order with truncation=True, max_length=64, padding=True;
  model.eval(); softmax and argmax of the logits) and scikit-learn's metrics on them; the number of
  examples truncated at 64 tokens; and perturbed/'s predictions, the indices where they disagree with
  model/'s and the max |delta logit|.

Deterministic: seeded random.Random for the texts, torch.manual_seed before training and before the noise,
torch.use_deterministic_algorithms(True), one CPU thread; the bytes of every file are the same on every run.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# make_fixtures sets the reference environment on import (no GPU; deterministic ops; PYTHONHASHSEED).
import make_fixtures  # noqa: E402,F401
import argparse  # noqa: E402
import csv  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support,
)
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BertForSequenceClassification, BertTokenizer  # noqa: E402

import fixture_common  # noqa: E402
from fixture_common import folder_size, to_py, write_json  # noqa: E402

FOLDER = "eval-sentiment"
SRC = "pt-seqcls"
COMMAND = "TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= /root/refenv/bin/python tools/make_eval_fixtures.py fixtures"
TOKENIZER_FILES = ["vocab.txt", "special_tokens_map.json", "tokenizer_config.json"]
MAX_FOLDER_BYTES = 1000 * 1000

TRAIN_SEED, TEST_SEED = 7001, 7002      # random.Random seeds of the two synthetic sets
TORCH_SEED = 7003                       # torch.manual_seed before training (dropout, shuffling)
NOISE_SEED = 7004                       # torch.Generator seed of perturbed/'s classifier noise
N_TRAIN, N_TEST = 512, 200
TRAIN_BATCH, STEPS, LR = 32, 64, 3e-3
EVAL_BATCH, MAX_LENGTH = 32, 64
NOISE_STD = 0.3
FLIPS_RANGE = (5, 20)
ACCURACY_RANGE = (0.7, 0.9)
MIN_MARGIN = 1e-3                       # smallest |logit0 - logit1| allowed on the test rows (both models)

VERSIONS = {
    "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
    "tokenizers": importlib.metadata.version("tokenizers"), "safetensors": safetensors.__version__,
    "numpy": np.__version__, "scikit-learn": sklearn.__version__,
    "scipy": importlib.metadata.version("scipy"),
}

# ----------------------------------------------------------------------------------------------
# the synthetic reviews: every word is a whole token of vocab.txt (asserted: no [UNK], no ##piece)

POSITIVE = ["good", "great", "wonderful", "excellent"]
NEGATIVE = ["bad", "terrible", "boring"]
SUBJECTS = [("the movie", "was"), ("this movie", "is"), ("the film", "was"), ("this film", "is"),
            ("the plot", "was"), ("the story", "is"), ("the acting", "was"), ("the music", "was"),
            ("the characters", "were"), ("the actors", "were"), ("the production", "was"),
            ("the series", "is"), ("the second season", "was")]
INTENSIFIERS = ["", "", "", "really ", "so ", "just "]
FILLERS = [
    "i watch it with my family",
    "we had seen the first one",
    "it was made in the united states",
    "the film is about a man and his family",
    "it is one of the first films i have seen",
    "they spend two years on the production",
    "it is a long film",
    "the price was 10 dollars",
    "it took four years to make",
    "the story is about the war",
    "she said it was about her family",
    "he thought the same",
    "there are many characters",
    "the actors are from the north",
    "i mentioned it to my family",
    "we watch it at home after work",
    "it was the second film of the season",
    "see more reviews at http://www.movie.com/review.html",
    "my email is in the other review",
]
NON_ASCII_FILLERS = ["we watch it at the café — after work", "the film is about a man… and his family"]


def clause(rng, polarity):
    """One sentiment clause of `polarity` (+1 / -1); a negated clause ("not good") uses a word of the other
    polarity, so its meaning is still `polarity`."""
    kind = rng.randrange(6)
    negate = kind < 4 and rng.random() < 0.2
    adj = rng.choice(POSITIVE if (polarity > 0) != negate else NEGATIVE)
    nt = "not " if negate else ""
    if kind < 2:
        subj, verb = rng.choice(SUBJECTS)
        text = f"{subj} {verb} {nt or rng.choice(INTENSIFIERS)}{adj}"
    elif kind == 2:
        article = "an" if adj[0] in "aeiou" else "a"
        text = f"it was {nt}{article} {adj} {rng.choice(['film', 'movie', 'series'])}"
    elif kind == 3:
        who = rng.choice(["my family", "the reviewers", "she", "he", "they"])
        verb = rng.choice(["called it", "said it was", "thought it was"])
        text = f'{who} {verb} "{nt}{adj}"'
    elif kind == 4:
        text = (f"i love this {rng.choice(['film', 'movie', 'story'])}" if polarity > 0
                else f"the worst {rng.choice(['film', 'movie'])} of the year")
    else:
        text = (f"the best {rng.choice(['acting', 'music', 'plot', 'story'])} i have seen" if polarity > 0
                else f"the {rng.choice(['acting', 'music', 'plot', 'story'])} was the worst part")
    return text


def review(rng, long=False):
    """(text, label id): label = sign of the sum of the clause polarities (never 0)."""
    n_clauses = rng.choice([1, 1, 2, 3, 3]) if not long else rng.choice([9, 11, 13])
    polarities = [rng.choice([1, -1]) for _ in range(n_clauses)]
    if sum(polarities) == 0:
        polarities.append(rng.choice([1, -1]))
    parts = [clause(rng, p) for p in polarities]
    for _ in range(rng.choice([0, 0, 1, 2]) + (6 if long else 0)):
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(FILLERS))
    if rng.random() < 0.06:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(NON_ASCII_FILLERS))
    text = parts[0]
    for p in parts[1:]:
        text += rng.choice([", ", ", ", ", but ", " and ", ". ", ". ", "\n", ", and "]) + p
    text += rng.choice(["", "", ".", "!", " ..."])
    return text, 1 if sum(polarities) > 0 else 0


def make_set(seed, n, n_long=0):
    rng = random.Random(seed)
    long_at = set(rng.sample(range(n), n_long)) if n_long else set()
    return [review(rng, i in long_at) for i in range(n)]


def check_vocab(tokenizer, texts):
    vocab = tokenizer.vocab
    for t in texts:
        basic = tokenizer.basic_tokenizer.tokenize(t, never_split=tokenizer.all_special_tokens)
        bad = [w for w in basic if w not in vocab]
        assert not bad, (t, bad)
        assert "\t" not in t and "\r" not in t and not t.startswith('"') and t == t.strip(), repr(t)


# ----------------------------------------------------------------------------------------------
# training / evaluation

def encode(tokenizer, texts):
    return tokenizer(texts, truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")


def train(src, tokenizer, data):
    model = BertForSequenceClassification.from_pretrained(src)
    torch.manual_seed(TORCH_SEED)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    model.train()
    losses, order = [], []
    perm = torch.randperm(len(data)).tolist()
    for step in range(STEPS):
        idx = perm[(step * TRAIN_BATCH) % len(data):][:TRAIN_BATCH]
        order.append(idx)
        enc = encode(tokenizer, [data[i][0] for i in idx])
        labels = torch.tensor([data[i][1] for i in idx])
        optimizer.zero_grad()
        loss = model(**enc, labels=labels).loss
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    model.eval()
    return model, losses, order


def predict(model_dir, texts):
    """The evaluate step as reference.json describes it: (logits float32 [N,2], probabilities, predicted)."""
    tokenizer = BertTokenizer.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir)
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), EVAL_BATCH):
            enc = encode(tokenizer, texts[start:start + EVAL_BATCH])
            out.append(model(**enc).logits)
    logits = torch.cat(out)
    probs = torch.softmax(logits, dim=-1)
    pred = torch.argmax(logits, dim=-1)
    return logits.numpy(), probs.numpy(), pred.numpy()


def token_counts(model_dir, texts):
    tokenizer = BertTokenizer.from_pretrained(model_dir)
    return [len(tokenizer(t)["input_ids"]) for t in texts]


def floats(x):
    """float64 numpy values -> plain Python floats (to_py would round numpy floats to float32)."""
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


def metrics(y_true, y_pred):
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1], average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_binary_pos1": float(f1_score(y_true, y_pred, average="binary", pos_label=1)),
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", labels=[0, 1])),
        "f1_weighted": float(f1_score(y_true, y_pred, average="weighted", labels=[0, 1])),
        "per_class": {
            "labels": [0, 1], "names": ["negative", "positive"],
            "precision": floats(p), "recall": floats(r), "f1": floats(f), "support": [int(v) for v in s],
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist(),
        "correct": int(np.sum(np.asarray(y_true) == np.asarray(y_pred))),
        "n": len(y_true),
    }


# ----------------------------------------------------------------------------------------------
# the test files, written and read back with ordinary readers

def write_files(top, ids, texts, labels):
    with open(os.path.join(top, "test.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)             # excel dialect: delimiter ",", quotechar '"', doublequote, "\r\n"
        w.writerow(["id", "review", "label"])
        for i, t, y in zip(ids, texts, labels):
            w.writerow([i, t, ["negative", "positive"][y]])
    with open(os.path.join(top, "test.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for t, y in zip(texts, labels):
            f.write(json.dumps({"text": t, "label": y}, ensure_ascii=False) + "\n")
    with open(os.path.join(top, "test.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("text\tlabel\n")
        for t, y in zip(texts, labels):
            f.write(f"{t.replace(chr(10), ' ')}\t{y}\n")


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "review", "label"], rows[0]
    label2id = {"negative": 0, "positive": 1}
    return [r[1] for r in rows[1:]], [label2id[r[2]] for r in rows[1:]], [r[0] for r in rows[1:]]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        objs = [json.loads(line) for line in f.read().split("\n") if line]
    return [o["text"] for o in objs], [o["label"] for o in objs]


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    assert lines[0] == "text\tlabel" and lines[-1] == "", lines[0]
    rows = [line.split("\t") for line in lines[1:-1]]
    assert all(len(r) == 2 for r in rows)
    return [r[0] for r in rows], [int(r[1]) for r in rows]


def csv_edge_cases(path, texts):
    raw = open(path, "rb").read()
    body = raw.decode("utf-8")
    return {
        "line_ending": "every record ends with \\r\\n (csv.writer's default); a newline inside a quoted "
                       "review is a bare \\n",
        "records_bytes": len(raw),
        "crlf_count": body.count("\r\n"),
        "bare_lf_inside_quotes": body.count("\n") - body.count("\r\n"),
        "with_comma": [i for i, t in enumerate(texts) if "," in t],
        "with_double_quote": [i for i, t in enumerate(texts) if '"' in t],
        "with_newline": [i for i, t in enumerate(texts) if "\n" in t],
        "non_ascii": [i for i, t in enumerate(texts) if any(ord(c) > 127 for c in t)],
        "quoted_fields": [i for i, t in enumerate(texts) if any(c in t for c in ',"\n')],
    }


# ----------------------------------------------------------------------------------------------

def per_example(ids, labels, logits, probs, pred, counts):
    return [{"index": i, "id": ids[i], "label": int(labels[i]), "predicted": int(pred[i]),
             "probabilities": to_py(probs[i]), "logits": to_py(logits[i]), "tokens": counts[i],
             "truncated": counts[i] > MAX_LENGTH} for i in range(len(labels))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the fixtures folder (reads pt-seqcls there)")
    args = parser.parse_args()
    root = args.out
    src = os.path.join(root, SRC)

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()

    tokenizer = BertTokenizer.from_pretrained(src)
    train_set = make_set(TRAIN_SEED, N_TRAIN)
    test_set = make_set(TEST_SEED, N_TEST, n_long=8)
    check_vocab(tokenizer, [t for t, _ in train_set + test_set])

    top = fixture_common.fresh_folder(os.path.join(root, FOLDER))
    model_dir = fixture_common.fresh_folder(os.path.join(top, "model"))
    perturbed_dir = fixture_common.fresh_folder(os.path.join(top, "perturbed"))

    model, losses, order = train(src, tokenizer, train_set)
    model.save_pretrained(model_dir, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(src, name), os.path.join(model_dir, name))
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    assert cfg["id2label"] == {"0": "negative", "1": "positive"}, cfg["id2label"]
    with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        assert json.load(f)["do_lower_case"] is True

    # perturbed/: classifier.weight + NOISE_STD * normal(seeded), nothing else changes
    noisy = BertForSequenceClassification.from_pretrained(model_dir)
    g = torch.Generator().manual_seed(NOISE_SEED)
    with torch.no_grad():
        w = noisy.classifier.weight
        w.add_(NOISE_STD * torch.randn(w.shape, generator=g, dtype=w.dtype))
    noisy.save_pretrained(perturbed_dir, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(src, name), os.path.join(perturbed_dir, name))
    a, b = load_file(os.path.join(model_dir, "model.safetensors")), load_file(
        os.path.join(perturbed_dir, "model.safetensors"))
    assert sorted(a) == sorted(b)
    changed = [n for n in sorted(a) if not np.array_equal(a[n], b[n])]
    assert changed == ["classifier.weight"], changed
    weight_diff = float(np.max(np.abs(a["classifier.weight"].astype(np.float64)
                                      - b["classifier.weight"].astype(np.float64))))

    ids = [f"r{i + 1:03d}" for i in range(N_TEST)]
    texts = [t for t, _ in test_set]
    labels = [y for _, y in test_set]
    write_files(top, ids, texts, labels)

    # read back every file with its ordinary reader; the predictions are made from what was read
    csv_texts, csv_labels, csv_ids = read_csv(os.path.join(top, "test.csv"))
    assert csv_texts == texts and csv_labels == labels and csv_ids == ids
    jl_texts, jl_labels = read_jsonl(os.path.join(top, "test.jsonl"))
    assert jl_texts == texts and jl_labels == labels
    tsv_texts, tsv_labels = read_tsv(os.path.join(top, "test.tsv"))
    assert tsv_texts == [t.replace("\n", " ") for t in texts] and tsv_labels == labels

    results = {}
    for name, (tx, ys) in {"test.csv": (csv_texts, csv_labels), "test.jsonl": (jl_texts, jl_labels),
                           "test.tsv": (tsv_texts, tsv_labels)}.items():
        logits, probs, pred = predict(model_dir, tx)
        counts = token_counts(model_dir, tx)
        results[name] = dict(logits=logits, probs=probs, pred=pred, counts=counts,
                             metrics=metrics(ys, pred.tolist()))
    base = results["test.csv"]
    for name in ("test.jsonl", "test.tsv"):
        r = results[name]
        assert np.array_equal(r["logits"], base["logits"]) and r["counts"] == base["counts"], name
        assert r["metrics"] == base["metrics"], name

    p_logits, p_probs, p_pred = predict(perturbed_dir, csv_texts)
    flips = [i for i in range(N_TEST) if p_pred[i] != base["pred"][i]]
    delta = np.abs(p_logits.astype(np.float64) - base["logits"].astype(np.float64))
    p_metrics = metrics(csv_labels, p_pred.tolist())

    acc = base["metrics"]["accuracy"]
    margin = float(np.min(np.abs(base["logits"][:, 0].astype(np.float64) - base["logits"][:, 1])))
    p_margin = float(np.min(np.abs(p_logits[:, 0].astype(np.float64) - p_logits[:, 1])))
    truncated = [i for i, c in enumerate(base["counts"]) if c > MAX_LENGTH]
    edges = csv_edge_cases(os.path.join(top, "test.csv"), texts)
    # the test set must exercise what it claims to
    assert ACCURACY_RANGE[0] <= acc <= ACCURACY_RANGE[1], acc
    assert FLIPS_RANGE[0] <= len(flips) <= FLIPS_RANGE[1], flips
    assert 3 <= len(truncated) <= 12, truncated
    assert min(margin, p_margin) >= MIN_MARGIN, (margin, p_margin)     # no argmax a float32 rounding could flip
    for key in ("with_comma", "with_double_quote", "with_newline", "non_ascii"):
        assert len(edges[key]) >= 3, (key, edges[key])

    def file_block(name, how):
        r = results[name]
        return {"read_with": how, "examples": len(r["pred"]),
                "identical_to_test_csv": name != "test.csv",
                "truncated_at_64": sum(c > MAX_LENGTH for c in r["counts"]),
                "metrics": r["metrics"], "predicted": to_py(r["pred"])}

    files = {}
    for sub in ("", "model", "perturbed"):
        d = os.path.join(top, sub)
        for n in sorted(os.listdir(d)):
            if os.path.isfile(os.path.join(d, n)):
                files[os.path.join(sub, n) if sub else n] = os.path.getsize(os.path.join(d, n))

    write_json(os.path.join(top, "reference.json"), {
        "writer": {
            "script": "tools/make_eval_fixtures.py", "command": COMMAND, "versions": VERSIONS,
            "source": f"fixtures/{SRC} (starting weights, config.json with id2label, tokenizer files)",
            "class": "BertForSequenceClassification (PyTorch)",
            "call": "save_pretrained(dir, safe_serialization=True)",
        },
        "note": "reference.json is not a case. index: 0-based row number in file order (header excluded); id: "
                "test.csv's id column. Probabilities and logits are exact float32 values; metrics are "
                "scikit-learn's float64 values. min_abs_logit_margin: the smallest |logit0 - logit1| over the "
                f"rows (asserted >= {MIN_MARGIN}, so no argmax hangs on float32 rounding). max_abs_logit_diff: "
                "max over rows and both classes of |perturbed - model| (float64 of the float32 logits).",
        "files": files,
        "evaluate": {
            "tokenizer": f"BertTokenizer.from_pretrained(model_dir)(texts, truncation=True, "
                         f"max_length={MAX_LENGTH}, padding=True, return_tensors='pt')",
            "batches": f"{EVAL_BATCH} texts per call, in file order (the last batch holds "
                       f"{N_TEST % EVAL_BATCH or EVAL_BATCH}); padding=True pads each batch to its own longest",
            "model": "BertForSequenceClassification.from_pretrained(model_dir); model.eval(); torch.no_grad()",
            "probabilities": "torch.softmax(logits, dim=-1) (float32)",
            "predicted": "torch.argmax(logits, dim=-1)",
            "labels": "test.csv: label column, id2label names mapped by config.json's label2id; test.jsonl and "
                      "test.tsv: the integer in label",
            "metrics": "sklearn.metrics on (labels, predicted): accuracy_score; f1_score(average='binary', "
                       "pos_label=1); f1_score(average='macro'|'weighted', labels=[0, 1]); "
                       "precision_recall_fscore_support(labels=[0, 1], average=None, zero_division=0) -> "
                       "per_class precision/recall/f1/support; confusion_matrix(labels=[0, 1]) (rows true, "
                       "columns predicted)",
            "truncated": f"tokens = len(tokenizer(text)['input_ids']) (with [CLS]/[SEP], no truncation); "
                         f"truncated = tokens > {MAX_LENGTH}",
        },
        "test_set": {
            "recipe": f"random.Random({TEST_SEED}); {N_TEST} reviews, {len(truncated)} of them long (9-13 "
                      "sentiment clauses plus 6+ neutral fillers). Each review is 1-4 sentiment clauses built "
                      f"from positive words {POSITIVE} + 'love'/'best' and negative words {NEGATIVE} + 'worst' "
                      "(20% of clauses negated with 'not', which reverses them) mixed with neutral filler "
                      "sentences; label = 1 (positive) when the clause polarities sum above 0 (never 0). Every "
                      "word is a whole token of vocab.txt (no [UNK], no ##pieces).",
            "balance": {"negative": labels.count(0), "positive": labels.count(1)},
            "truncated_at_64": truncated,
            "csv": edges,
            "tsv": "the header line text<TAB>label, then each review with every \\n replaced by one space, a "
                   "tab, the integer label, \\n; nothing quoted (no review holds a tab or \\r or starts with "
                   "a double quote). Same 200 rows in the same order.",
            "jsonl": "{\"text\": review, \"label\": 0|1} per line, ensure_ascii=False, \\n line ends",
        },
        "training": {
            "source": f"BertForSequenceClassification.from_pretrained('fixtures/{SRC}')",
            "data": f"random.Random({TRAIN_SEED}): {N_TRAIN} reviews from the same generator (none long); "
                    "not written",
            "steps": STEPS, "batch": TRAIN_BATCH,
            "optimizer": f"torch.optim.AdamW(model.parameters(), lr={LR}) (defaults otherwise)",
            "loss": "model(**tokenizer(batch, truncation=True, max_length=64, padding=True), labels).loss",
            "mode": "model.train() (dropout 0.1 on) for the steps; model.eval() after",
            "batches": f"perm = torch.randperm({N_TRAIN}) right after torch.manual_seed({TORCH_SEED}); step s "
                       f"trains on perm[(s * {TRAIN_BATCH}) % {N_TRAIN}:][:{TRAIN_BATCH}] (the same order every pass)",
            "determinism": f"torch.manual_seed({TORCH_SEED}) before training (dropout and the batch order); "
                           "torch.use_deterministic_algorithms(True), torch.set_num_threads(1)",
            "losses": losses,
        },
        "model": {
            "files": "model/",
            "min_abs_logit_margin": margin,
            "per_example": per_example(ids, labels, base["logits"], base["probs"], base["pred"],
                                       base["counts"]),
            "test.csv": file_block("test.csv", "csv.reader(open(path, newline='', encoding='utf-8'))"),
            "test.jsonl": file_block("test.jsonl", "json.loads per non-empty line"),
            "test.tsv": file_block("test.tsv", "split on \\n, then on \\t; header line skipped"),
        },
        "perturbed": {
            "files": "perturbed/",
            "recipe": f"model/'s weights; classifier.weight += {NOISE_STD} * torch.randn(shape, "
                      f"generator=torch.Generator().manual_seed({NOISE_SEED})); every other tensor bit-identical",
            "changed_tensors": changed,
            "max_abs_weight_diff": weight_diff,
            "disagrees_with_model_at": flips,
            "disagreements": len(flips),
            "max_abs_logit_diff": float(delta.max()),
            "min_abs_logit_margin": p_margin,
            "predicted": to_py(p_pred),
            "probabilities": to_py(p_probs),
            "logits": to_py(p_logits),
            "metrics_test_csv": p_metrics,
        },
    })
    size = folder_size(top)
    assert size < MAX_FOLDER_BYTES, size
    m = base["metrics"]
    print(f"wrote {top} ({size} bytes)")
    print(f"losses {', '.join(f'{x:.4f}' for x in losses)}")
    print(f"accuracy {m['accuracy']:.3f} f1 {m['f1_binary_pos1']:.4f} cm {m['confusion_matrix']} "
          f"truncated {truncated}")
    print(f"perturbed: {len(flips)} flips at {flips}, max |dlogit| {float(delta.max()):.4g}, "
          f"accuracy {p_metrics['accuracy']:.3f}")
    for key in ("with_comma", "with_double_quote", "with_newline", "non_ascii"):
        print(f"{key}: {len(edges[key])} {edges[key][:12]}")


if __name__ == "__main__":
    main()
