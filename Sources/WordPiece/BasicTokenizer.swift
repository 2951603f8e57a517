/// transformers' `BasicTokenizer` (`models/bert/tokenization_bert.py`, 4.57) with `tokenize_chinese_chars=True` and
/// `strip_accents=None` (accents are stripped exactly when lower-casing): text to words and punctuation, on code points.
struct BasicTokenizer: Sendable {
    /// `do_lower_case`: lower-case and strip accents.
    let lowerCase: Bool
    /// Words left whole (not lower-cased, not split on punctuation): `BertTokenizer` passes its special tokens.
    let neverSplit: Set<[Unicode.Scalar]>

    /// `BasicTokenizer.tokenize(text, never_split)`.
    func tokenize(_ text: some Collection<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        // `_clean_text` then `_tokenize_chinese_chars`, in one pass.
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.count)
        for scalar in text {
            if scalar.value == 0 || scalar.value == 0xFFFD || scalar.isBERTControl { continue }
            if scalar.isBERTWhitespace {
                cleaned.append(" ")
            } else if scalar.isCJKIdeograph {
                cleaned.append(contentsOf: [" ", scalar, " "])
            } else {
                cleaned.append(scalar)
            }
        }
        var words: [[Unicode.Scalar]] = []
        for token in Self.splitOnPythonWhitespace(CanonicalNormalization.composed(cleaned)) {
            var word = token
            if lowerCase && !neverSplit.contains(token) {
                word = []
                // Python's `str.lower()` would make a word-final Σ a ς here, but every Σ is already a σ: the
                // tokenizer lower-cases the whole text, character by character, before this step.
                for scalar in token { scalar.appendLowercase(to: &word) }
                word = CanonicalNormalization.decomposed(word).filter { !$0.isNonspacingMark }
            }
            appendSplitOnPunctuation(word, to: &words)
        }
        // transformers re-splits `" ".join(split_tokens)` on whitespace, which drops the empty words that accent
        // stripping leaves (a word of combining marks only); no word holds whitespace at this point.
        return words.filter { !$0.isEmpty }
    }

    /// `_run_split_on_punc`: every punctuation character becomes a word of its own, unless the word is never split.
    private func appendSplitOnPunctuation(_ word: [Unicode.Scalar], to words: inout [[Unicode.Scalar]]) {
        if neverSplit.contains(word) {
            words.append(word)
            return
        }
        var current: [Unicode.Scalar] = []
        for scalar in word {
            if scalar.isBERTPunctuation {
                if !current.isEmpty { words.append(current) }
                current = []
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
    }

    /// `whitespace_tokenize`: Python's `str.split()` with no argument.
    private static func splitOnPythonWhitespace(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        scalars.split(whereSeparator: \.isPythonWhitespace).map(Array.init)
    }
}
