/// A tokenized sequence (or pair) ready for a BERT model: what transformers' tokenizer call returns.
public struct Encoding: Sendable, Equatable {
    /// The tokens, special and padding tokens included: `[CLS] a… [SEP] b… [SEP] [PAD]…`.
    public var tokens: [String]
    /// The vocabulary id of each token.
    public var inputIDs: [Int32]
    /// 0 for `[CLS]`, the first segment, its `[SEP]` and padding; 1 for the second segment and its `[SEP]`.
    public var tokenTypeIDs: [Int32]
    /// 1 for every real token, 0 for padding.
    public var attentionMask: [Int32]
    /// Whether truncation to `max_length` removed tokens.
    public var truncated: Bool

    /// Creates an encoding from its four parallel arrays.
    public init(tokens: [String], inputIDs: [Int32], tokenTypeIDs: [Int32], attentionMask: [Int32], truncated: Bool = false) {
        self.tokens = tokens
        self.inputIDs = inputIDs
        self.tokenTypeIDs = tokenTypeIDs
        self.attentionMask = attentionMask
        self.truncated = truncated
    }
}
