/// A WordPiece vocabulary: token ↔ id, where a token's id is its line number in `vocab.txt`.
///
/// Mirrors transformers' `load_vocab` and `BertTokenizer.vocab` / `ids_to_tokens`. Tokens are compared code point
/// by code point, as Python compares `str`, never by Swift's canonical equivalence: `"é"` and `"e\u{301}"` are
/// different tokens. When a token appears on several lines the last line's id wins, and the earlier ids map back to
/// no token, as in transformers.
public struct Vocabulary: Sendable {
    /// The name used in errors: the file's path, or the label given to ``init(tokens:source:)``.
    public let source: String
    /// The id of `[PAD]`.
    public let paddingID: Int
    /// The id of `[UNK]`.
    public let unknownID: Int
    /// The id of `[CLS]`.
    public let classifierID: Int
    /// The id of `[SEP]`.
    public let separatorID: Int
    /// The id of `[MASK]`, or nil when the vocabulary has none.
    public let maskID: Int?

    /// The length of the longest token in code points: no longer candidate can match.
    let longestTokenLength: Int
    private let tokens: [String]
    private let ids: [[Unicode.Scalar]: Int]

    /// Builds a vocabulary from tokens in id order; `source` names it in errors.
    ///
    /// Throws ``WordPieceError/emptyVocabulary(path:)`` when `tokens` is empty and
    /// ``WordPieceError/missingSpecialToken(path:token:)`` when `[UNK]`, `[CLS]`, `[SEP]` or `[PAD]` is missing.
    public init(tokens: [String], source: String) throws(WordPieceError) {
        guard !tokens.isEmpty else { throw .emptyVocabulary(path: source) }
        var ids: [[Unicode.Scalar]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 0
        for (id, token) in tokens.enumerated() {
            let scalars = Array(token.unicodeScalars)
            ids[scalars] = id
            longest = max(longest, scalars.count)
        }
        func required(_ special: SpecialToken) throws(WordPieceError) -> Int {
            guard let id = ids[special.scalars] else { throw .missingSpecialToken(path: source, token: special.rawValue) }
            return id
        }
        self.source = source
        self.tokens = tokens
        self.ids = ids
        longestTokenLength = longest
        unknownID = try required(.unknown)
        classifierID = try required(.classifier)
        separatorID = try required(.separator)
        paddingID = try required(.padding)
        maskID = ids[SpecialToken.mask.scalars]
    }

    /// Every line's token in id order (a repeated token at each of its lines).
    public var tokensInOrder: [String] { tokens }

    /// The number of ids, i.e. of lines in the file (duplicate tokens included).
    public var count: Int { tokens.count }

    /// The id of `token`, compared code point by code point; nil when the vocabulary does not hold it.
    public func id(for token: String) -> Int? { ids[Array(token.unicodeScalars)] }

    /// The id of a special token; nil only for a `[MASK]` the vocabulary does not hold.
    public func id(for special: SpecialToken) -> Int? { ids[special.scalars] }

    /// The token with `id`; nil when `id` is out of range or belongs to a line whose token a later line repeats.
    public func token(for id: Int) -> String? {
        guard tokens.indices.contains(id) else { return nil }
        let token = tokens[id]
        return ids[Array(token.unicodeScalars)] == id ? token : nil
    }

    /// The id of a token given as code points.
    func id(for scalars: [Unicode.Scalar]) -> Int? { ids[scalars] }

    /// The token on line `id`, which the tokenizer only asks for ids it looked up itself.
    func text(of id: Int) -> String { tokens[id] }
}

extension Vocabulary {
    /// Whole-word tokens (not `##` pieces, not `[…]` specials) of two or more characters that start with a capital
    /// and go on in lower case (`The`, `Movie`): a cased vocabulary such as bert-base-cased's holds thousands, an
    /// uncased one none. Counted once, when asked.
    public var capitalisedWords: [String] {
        tokens.filter { token in
            guard !token.hasPrefix("##"), !token.hasPrefix("["), let first = token.unicodeScalars.first,
                  token.unicodeScalars.count >= 2, first.properties.isUppercase else { return false }
            return token.unicodeScalars.dropFirst().contains { $0.properties.isLowercase }
        }
    }

    /// Whether the vocabulary is cased: it holds at least 20 capitalised whole words, or at least 1% of its whole
    /// words are (so text must not be lower-cased before WordPiece, as `do_lower_case=False` does).
    public var looksCased: Bool {
        let capitalised = capitalisedWords.count
        let words = tokens.filter { !$0.hasPrefix("##") && !$0.hasPrefix("[") }.count
        return capitalised >= 20 || (words > 0 && capitalised * 100 >= words && capitalised > 0)
    }
}
