"""fixtures/tokenizer/cases.json: what the slow transformers BertTokenizer does on the fixture vocab."""

import os

from fixture_common import write_json

TEXTS = [
    "don't be so judgmental",
    "I thought this was a wonderful way to spend time",
    "Hello, world! How are you?? (fine) [ok] {yes} <no> a/b\\c; x:y @home #tag ~tilde `tick` ^caret |pipe",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "Café déjà vu",
    "Cafe\u0301 de\u0301ja\u0300 vu",  # decomposed accents (e + U+0301 ...)
    "na\u00efve r\u00e9sum\u00e9 fa\u00e7ade \u00c5ngstr\u00f6m",
    "我爱你 中文",
    "我爱你中文abc",
    "ひらがな カタカナ こんにちは",
    "한국어 안녕하세요",
    "I love this movie 😀👍🏽 ❤️",
    "control\x00chars\u0007here",
    "tab\tseparated\r\nwindows line\nend",
    "replacement \ufffd char",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
    "a" * 101,
    "antidisestablishmentarianism" * 4 + "x",  # > 100 characters, one word
    "supercalifragilisticexpialidocious",
    "MiXeD CaSe WoRdS And ALLCAPS",
    "The Movie WAS Great",
    "12345 3.14159 1,000,000 2nd 42nd",
    "$100.50",
    "e-mail",
    "",
    "   ",
    "\t\n \r",
    "\u201cquoted\u201d \u2014 dash \u2026 ellipsis \u2018single\u2019 \u00abguillemets\u00bb",
    "\u00bfQu\u00e9? \u00a1S\u00ed!",
    "Ελληνικά γράμματα",
    "Кириллица и русский текст",
    "مرحبا بالعالم",
    "[CLS] this [SEP] is [MASK] literal [UNK] [PAD]",
    "[cls] lowercase specials",
    "https://www.imdb.com/title/tt0111161/?ref_=nv_sr_1",
    "contact: someone@example.org",
    "A wonderful little production. <br /><br />The filming technique is very unassuming.",
    "<br /><br />",
    "one's can't won't it's isn't",
    "fullwidth ＡＢＣ１２３",
    "ligature ﬁ ﬂ and superscript x² H₂O",
    "nonbreaking\u00a0space and\u3000ideographic space",
    "  leading and trailing spaces  ",
    "multiple     internal    spaces",
    "hyphen-ated-words and under_scores",
    "ümlaut Über straße",
    "İstanbul DŽ ǅ",
    "\u0301combining at start",
    "judgment judgmental judgments",
]

PAIRS = [
    ("I thought this was a wonderful way to spend time", "don't be so judgmental", 12),
    ("the movie", "was great", 16),
    ("a very very very very long first segment that keeps going", "short", 10),
    ("short", "a very very very very long second segment that keeps going", 10),
    ("equal length words here now", "equal length words here now", 9),
    ("Café déjà vu", "我爱你 中文", 8),
    ("", "only the pair", 8),
    ("one two three four five six seven eight", "nine ten eleven twelve thirteen", 7),
]


# Calls with truncation and padding options beyond pairs: (text, pair, max_length, padding); tests read these
# instead of typing the ids transformers gave.
ENCODINGS = [
    ("one two three four", None, 4, "max_length"),
    ("one two", None, 2, "do_not_pad"),
    ("one two three", "four", 0, "max_length"),
    ("the movie", None, 6, "max_length"),
    ("the movie", None, 6, "do_not_pad"),
]


def write_cases(path, vocab_path):
    from transformers import BertTokenizer

    toks = {lc: BertTokenizer(vocab_path, do_lower_case=lc) for lc in (True, False)}
    cases = []
    for text in TEXTS:
        for lc in (True, False):
            t = toks[lc]
            cases.append({"text": text, "lower_case": lc, "tokens": t.tokenize(text),
                          "input_ids": t.encode(text)})
    pairs = []
    for a, b, n in PAIRS:
        for lc in (True, False):
            enc = toks[lc](a, b, max_length=n, truncation="longest_first", padding="max_length")
            pairs.append({"text": a, "pair": b, "lower_case": lc, "max_length": n,
                          "input_ids": list(enc["input_ids"]), "token_type_ids": list(enc["token_type_ids"]),
                          "attention_mask": list(enc["attention_mask"])})
    encodings = []
    for a, b, n, padding in ENCODINGS:
        t = toks[True]
        enc = t(a, b, max_length=n, truncation="longest_first", padding=padding) if n else t(a, b, padding=padding)
        encodings.append({"text": a, "pair": b, "lower_case": True, "max_length": n, "padding": padding,
                          "tokens": t.convert_ids_to_tokens(list(enc["input_ids"])),
                          "input_ids": list(enc["input_ids"]), "token_type_ids": list(enc["token_type_ids"]),
                          "attention_mask": list(enc["attention_mask"])})
    import transformers

    doc = {
        "writer": {"class": "BertTokenizer (slow, python)", "transformers": transformers.__version__,
                   "vocab": "vocab.txt in this folder (the fixture vocabulary, 2000 lines)",
                   "calls": {"tokens": "tokenizer.tokenize(text)",
                             "input_ids": "tokenizer.encode(text) (adds [CLS] ... [SEP])",
                             "pairs": "tokenizer(text, pair, max_length=N, truncation='longest_first', "
                                      "padding='max_length')"},
                   "options": "BertTokenizer(vocab_file, do_lower_case=lower_case); other options default "
                              "(tokenize_chinese_chars=True, strip_accents=None i.e. follows lower_case)"},
        "special_ids": {tok: toks[True].convert_tokens_to_ids(tok)
                        for tok in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")},
        "cases": cases,
        "pairs": pairs,
        "encodings": encodings,
    }
    write_json(os.path.join(path, "cases.json"), doc, ensure_ascii=True)
