/// The BERT WordPiece tokenizer: an exact port of the behaviour of transformers' slow `BertTokenizer` (4.57).
///
/// `tokenize` mirrors `PreTrainedTokenizer.tokenize`: with lower-casing, the whole text is first lower-cased one
/// character at a time except where a special token (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) is written
/// literally; then the text is cut at every literal special token of the vocabulary, which stays one token, and each
/// piece in between goes through `BasicTokenizer` and `WordpieceTokenizer`. Character classes follow Python
/// 3.11's Unicode 14.0 database (see `ReferenceUnicode.swift`). A `[MASK]` the vocabulary lacks is ordinary text here,
/// where transformers would give it an id past the end of the vocabulary.
public struct BERTTokenizer: Sendable {
    /// The vocabulary tokens and ids come from.
    public let vocabulary: Vocabulary
    /// `do_lower_case`: lower-case and strip accents (true for uncased models, false for cased ones).
    public let lowerCase: Bool

    private let basic: BasicTokenizer
    private let wordPiece: WordPieceTokenizer
    /// The special tokens the vocabulary holds, as code points, with their ids.
    private let specialIDs: [(scalars: [Unicode.Scalar], id: Int)]
    private static let specialScalars = SpecialToken.allCases.map(\.scalars)

    /// Creates a tokenizer over `vocabulary`; `lowerCase` is transformers' `do_lower_case`.
    public init(vocabulary: Vocabulary, lowerCase: Bool = true) {
        self.vocabulary = vocabulary
        self.lowerCase = lowerCase
        basic = BasicTokenizer(lowerCase: lowerCase, neverSplit: Set(Self.specialScalars))
        wordPiece = WordPieceTokenizer(vocabulary: vocabulary)
        specialIDs = Self.specialScalars.compactMap { scalars in vocabulary.id(for: scalars).map { (scalars, $0) } }
    }

    /// The tokens of `text`, without `[CLS]` and `[SEP]`: transformers' `tokenizer.tokenize(text)`.
    public func tokenize(_ text: String) -> [String] {
        tokenIDs(text, limit: nil).ids.map(vocabulary.text(of:))
    }

    /// Encodes `text` (and `pair`) for a model: transformers' `tokenizer(text, pair, max_length=maxLength,
    /// truncation="longest_first", padding="max_length" if padToMaxLength)`.
    ///
    /// The result is `[CLS] text [SEP]`, or `[CLS] text [SEP] pair [SEP]` with token type 1 from `pair` on. With
    /// `maxLength`, tokens are removed from the end of the longer segment first (transformers' `truncate_sequences`),
    /// and padding appends `[PAD]` up to `maxLength`. As in transformers, a `maxLength` too small for the special
    /// tokens leaves a longer result: a single text that would lose all its tokens is not truncated, and a pair keeps
    /// its three special tokens; a `maxLength` of 0 truncates nothing. `padToMaxLength` without `maxLength` does
    /// nothing.
    ///
    /// Only as much text is tokenized as truncation can keep: a single text stops after `maxLength − 2` tokens and
    /// each text of a pair after `maxLength` (enough for `longest_first` to decide exactly as on the whole text), so a
    /// 10 MB review costs what its first sentences cost. ``truncatedSegments`` says whether anything was cut.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil, padToMaxLength: Bool = false) -> Encoding {
        var limit: Int?
        if let maxLength, maxLength != 0 {
            if pair != nil { limit = maxLength } else if maxLength >= 3 { limit = maxLength - 2 }
        }
        var (first, firstCut) = tokenIDs(text, limit: limit)
        var second: [Int]?
        var secondCut = false
        if let pair { (second, secondCut) = tokenIDs(pair, limit: limit) }
        // transformers tests `max_length` for truth, so 0 truncates nothing.
        var truncated = firstCut || secondCut
        if let maxLength, maxLength != 0 {
            let total = first.count + (second.map { $0.count + 3 } ?? 2)
            let plan = Truncation(excess: total - maxLength, firstCount: first.count, secondCount: second?.count)
            first.removeLast(plan.first)
            second?.removeLast(plan.second)
            truncated = truncated || plan.first > 0 || plan.second > 0
        }
        var ids = [vocabulary.classifierID] + first + [vocabulary.separatorID]
        var types = [Int32](repeating: 0, count: ids.count)
        if let second {
            ids += second + [vocabulary.separatorID]
            types += [Int32](repeating: 1, count: second.count + 1)
        }
        var mask = [Int32](repeating: 1, count: ids.count)
        if padToMaxLength, let maxLength, ids.count < maxLength {
            let padding = maxLength - ids.count
            ids += repeatElement(vocabulary.paddingID, count: padding)
            types += repeatElement(0, count: padding)
            mask += repeatElement(0, count: padding)
        }
        return Encoding(tokens: ids.map(vocabulary.text(of:)), inputIDs: ids.map { Int32($0) },
                        tokenTypeIDs: types, attentionMask: mask, truncated: truncated)
    }

    /// `tokenize` followed by `convert_tokens_to_ids`, stopping once `limit` ids exist (and saying whether it did).
    ///
    /// The text is processed in pieces that end at ASCII whitespace: nothing the tokenizer does crosses whitespace
    /// (special tokens hold none, NFC composes nothing across a space, lower-casing is per character), so the ids are
    /// those of the whole text, and the work stops with the piece that reaches `limit`.
    private func tokenIDs(_ text: String, limit: Int?) -> (ids: [Int], cut: Bool) {
        var ids: [Int] = []
        var piece: [Unicode.Scalar] = []
        piece.reserveCapacity(Self.pieceLength + 64)
        for scalar in text.unicodeScalars {
            piece.append(scalar)
            if piece.count >= Self.pieceLength, scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r" {
                appendIDs(of: piece, to: &ids)
                piece.removeAll(keepingCapacity: true)
                if let limit, ids.count > limit {
                    ids.removeLast(ids.count - limit)
                    return (ids, true)
                }
            }
        }
        appendIDs(of: piece, to: &ids)
        if let limit, ids.count > limit {
            ids.removeLast(ids.count - limit)
            return (ids, true)
        }
        return (ids, false)
    }

    /// How many scalars a piece of text collects before it may end at the next whitespace.
    static let pieceLength = 4096

    /// The ids of one piece of text (ending at whitespace or at the end of the text).
    private func appendIDs(of text: [Unicode.Scalar], to ids: inout [Int]) {
        var scalars = text
        if lowerCase { scalars = lowercasedOutsideSpecialTokens(scalars) }
        var pieceStart = 0
        var index = 0
        func finishPiece(at end: Int) {
            for word in basic.tokenize(scalars[pieceStart..<end]) { wordPiece.appendIDs(of: word, to: &ids) }
        }
        // `tokens_trie.split`: the special tokens cannot overlap, so the leftmost match is the only one.
        while index < scalars.count {
            if scalars[index] == "[", let special = specialIDs.first(where: { scalars[index...].starts(with: $0.scalars) }) {
                finishPiece(at: index)
                ids.append(special.id)
                index += special.scalars.count
                pieceStart = index
            } else {
                index += 1
            }
        }
        finishPiece(at: scalars.count)
    }

    /// The lower-casing pass of `PreTrainedTokenizer.tokenize`: `re.sub(r"(specials)|(.+?)", …)` lower-cases each
    /// character on its own, leaving literal special tokens and `\n` (which `.` does not match) as they are.
    private func lowercasedOutsideSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[", let special = Self.specialScalars.first(where: { scalars[index...].starts(with: $0) }) {
                output.append(contentsOf: special)
                index += special.count
            } else {
                scalars[index].appendLowercase(to: &output)
                index += 1
            }
        }
        return output
    }
}

extension BERTTokenizer {
    /// Encodes `texts` (each with `pair`, if given) as one batch: each as `encode` does, then padded with `[PAD]`
    /// (token type 0, attention mask 0) to `length`, or to the longest sequence of the batch when `length` is nil or
    /// shorter — transformers' `tokenizer(texts, padding="longest" | "max_length")`.
    public func encodeBatch(_ texts: [String], pair: String? = nil, maxLength: Int?, padTo length: Int? = nil) -> [Encoding] {
        encodeBatch(texts, pairs: [String?](repeating: pair, count: texts.count), maxLength: maxLength, padTo: length)
    }

    /// `encodeBatch` with a pair of its own (or none) for each text.
    public func encodeBatch(_ texts: [String], pairs: [String?], maxLength: Int?, padTo length: Int? = nil) -> [Encoding] {
        pad(zip(texts, pairs).map { encode($0, pair: $1, maxLength: maxLength) }, to: length)
    }

    /// `encodings` padded with `[PAD]` (token type 0, attention mask 0) to `length`, or to the longest of them when
    /// `length` is nil or shorter: the padding step of `encodeBatch`, for callers that group sequences first.
    public func pad(_ encodings: [Encoding], to length: Int? = nil) -> [Encoding] {
        var encodings = encodings
        let longest = max(encodings.map(\.inputIDs.count).max() ?? 0, length ?? 0)
        let padding = vocabulary.paddingID
        for i in encodings.indices where encodings[i].inputIDs.count < longest {
            let missing = longest - encodings[i].inputIDs.count
            encodings[i].tokens += repeatElement(vocabulary.text(of: padding), count: missing)
            encodings[i].inputIDs += repeatElement(Int32(padding), count: missing)
            encodings[i].tokenTypeIDs += repeatElement(0, count: missing)
            encodings[i].attentionMask += repeatElement(0, count: missing)
        }
        return encodings
    }
}
